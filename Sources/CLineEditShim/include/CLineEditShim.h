#ifndef MQCTL_CLINEEDITSHIM_H
#define MQCTL_CLINEEDITSHIM_H

// libedit's el_set() and history() are variadic C functions, which Swift
// cannot call. Each wrapper here makes one fixed-signature call of them.
#include <histedit.h>

typedef char *(*mq_prompt_fn)(EditLine *);
typedef unsigned char (*mq_key_fn)(EditLine *, int);

// el_set(el, EL_PROMPT, fn): the prompt callback.
int mq_el_set_prompt(EditLine *el, mq_prompt_fn fn);
// el_set(el, EL_EDITOR, mode): "emacs" or "vi" key bindings.
int mq_el_set_editor(EditLine *el, const char *mode);
// el_set(el, EL_HIST, history, h): attach a history to the editor.
int mq_el_set_history(EditLine *el, History *h);
// el_set(el, EL_ADDFN, name, help, fn) and el_set(el, EL_BIND, key, name):
// bind a function of ours to a key.
int mq_el_bind(EditLine *el, const char *key, const char *name, const char *help, mq_key_fn fn);

// el_set(el, EL_SIGNAL, flag): 0 leaves signal handling to the caller,
// so Ctrl-C interrupts el_gets instead of being handled inside libedit.
int mq_el_set_signal(EditLine *el, int flag);

// history(h, &ev, H_SETSIZE, n): keep at most n entries.
int mq_history_set_size(History *h, int size);
// history(h, &ev, H_SETUNIQUE, 1): drop a line equal to the previous one.
int mq_history_set_unique(History *h, int unique);
// history(h, &ev, H_ENTER, line).
int mq_history_enter(History *h, const char *line);
// history(h, &ev, H_FIRST): the newest entry, or NULL when there is none.
const char *mq_history_newest(History *h);
// history(h, &ev, H_GETSIZE): number of entries.
int mq_history_count(History *h);
// history(h, &ev, H_LOAD, path) / H_SAVE: read or write the history file.
int mq_history_load(History *h, const char *path);
int mq_history_save(History *h, const char *path);

#endif
