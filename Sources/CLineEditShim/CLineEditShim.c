#include "CLineEditShim.h"

int mq_el_set_prompt(EditLine *el, mq_prompt_fn fn) {
    return el_set(el, EL_PROMPT, fn);
}

int mq_el_set_editor(EditLine *el, const char *mode) {
    return el_set(el, EL_EDITOR, mode);
}

int mq_el_set_history(EditLine *el, History *h) {
    return el_set(el, EL_HIST, history, h);
}

int mq_el_bind(EditLine *el, const char *key, const char *name, const char *help, mq_key_fn fn) {
    if (el_set(el, EL_ADDFN, name, help, fn) != 0) {
        return -1;
    }
    return el_set(el, EL_BIND, key, name, NULL);
}

int mq_el_set_signal(EditLine *el, int flag) {
    return el_set(el, EL_SIGNAL, flag);
}

int mq_history_set_size(History *h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}

int mq_history_set_unique(History *h, int unique) {
    HistEvent ev;
    return history(h, &ev, H_SETUNIQUE, unique);
}

int mq_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}

const char *mq_history_newest(History *h) {
    HistEvent ev;
    if (history(h, &ev, H_FIRST) < 0) {
        return NULL;
    }
    return ev.str;
}

int mq_history_count(History *h) {
    HistEvent ev;
    if (history(h, &ev, H_GETSIZE) < 0) {
        return -1;
    }
    return ev.num;
}

int mq_history_load(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}

int mq_history_save(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}
