/* SPDX-License-Identifier: MIT */
/* count_job.c: the host's side of a secret poll count (enclave.h, docs/SECRET_BALLOTS.md): the
 * COUNT_BEGIN header and the ballots packed into chunks of at most ENC_COUNT_CHUNK_TARGET bytes as
 * they are added, then sent one frame per exchange, each answer checked against the protocol
 * (COUNT_ACK with the number of ballots sent so far, COUNT_REPORT after the last frame). The job
 * copies every ballot, so the caller may release its rows once they are added. */
#include "enclave/enclave.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct chunk {
    uint8_t *buf;
    size_t len, cap;
    uint32_t through;   /* ballots sent once this chunk is in */
} chunk;

struct enc_count_job {
    enc_count_header h;
    uint8_t begin[ENC_COUNT_HEADER_LEN];
    chunk *chunks;
    size_t n_chunks, cap_chunks;
    uint32_t added;
    size_t sent;            /* frames sent: 0 = none, 1 = COUNT_BEGIN, 1 + k = k chunks */
    bool awaiting;          /* a frame is out and its answer not given */
    bool over;
    uint8_t *report;        /* the COUNT_REPORT payload once in */
    size_t report_len;
};

enc_count_job *enc_count_job_new(const enc_count_header *h)
{
    enc_count_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->h = *h;
    enc_count_header_serialize(j->begin, h);
    return j;
}

void enc_count_job_free(enc_count_job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n_chunks; i++)
        free(j->chunks[i].buf);
    free(j->chunks);
    free(j->report);
    free(j);
}

/* A chunk with room for need more bytes: the last one, or a new one. Returns NULL if out of memory. */
static chunk *room_for(enc_count_job *j, size_t need)
{
    chunk *c = j->n_chunks ? &j->chunks[j->n_chunks - 1] : NULL;
    if (c && c->len + need <= ENC_COUNT_CHUNK_TARGET) {
        if (c->len + need > c->cap) {
            size_t cap = c->cap * 2 > c->len + need ? c->cap * 2 : c->len + need;
            if (cap > ENC_COUNT_CHUNK_TARGET)
                cap = ENC_COUNT_CHUNK_TARGET;
            uint8_t *b = realloc(c->buf, cap);
            if (!b)
                return NULL;
            c->buf = b;
            c->cap = cap;
        }
        return c;
    }
    if (j->n_chunks == j->cap_chunks) {
        size_t cap = j->cap_chunks ? 2 * j->cap_chunks : 4;
        chunk *cs = realloc(j->chunks, cap * sizeof *cs);
        if (!cs)
            return NULL;
        j->chunks = cs;
        j->cap_chunks = cap;
    }
    c = &j->chunks[j->n_chunks];
    c->cap = need < 4096 ? 4096 : need;
    c->buf = malloc(c->cap);
    if (!c->buf)
        return NULL;
    c->len = 0;
    c->through = j->added;
    j->n_chunks++;
    return c;
}

int enc_count_job_add(enc_count_job *j, const uint8_t voter[20], const uint8_t weight[32], const uint8_t *ciphertext,
                      size_t len)
{
    chunk *c;
    if (j->sent > 0)
        return ST_CONFLICT;
    if (j->added == j->h.n_ballots)
        return ST_LIMIT;
    if (len > 0xffff)
        return ST_INVALID;
    if (!(c = room_for(j, ENC_COUNT_BALLOT_FIXED + len)))
        return ST_NOMEM;
    if (enc_count_ballot_put(c->buf, c->cap, &c->len, voter, weight, ciphertext ? ciphertext : (const uint8_t *)"", len)
        != ST_OK)
        return ST_NOMEM; /* cannot happen: room_for made the room */
    j->added++;
    c->through = j->added;
    return ST_OK;
}

int enc_count_job_next(enc_count_job *j, uint8_t *type, const uint8_t **payload, size_t *len)
{
    if (j->added != j->h.n_ballots)
        return ST_CONFLICT;
    if (j->awaiting)
        return ST_PENDING;
    if (j->over || j->sent > j->n_chunks)
        return ST_NOTFOUND;
    if (j->sent == 0) {
        *type = ENC_MSG_COUNT_BEGIN;
        *payload = j->begin;
        *len = sizeof j->begin;
    } else {
        *type = ENC_MSG_COUNT_CHUNK;
        *payload = j->chunks[j->sent - 1].buf;
        *len = j->chunks[j->sent - 1].len;
    }
    j->sent++;
    j->awaiting = true;
    return ST_OK;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int enc_count_job_answer(enc_count_job *j, char *why, size_t whylen, uint8_t type, const uint8_t *resp, size_t len)
{
    bool last;
    uint32_t through;

    if (!j->awaiting || j->over) {
        snprintf(why, whylen, "no frame of this count awaits an answer");
        return ST_INVALID;
    }
    j->awaiting = false;
    last = j->sent == j->n_chunks + 1;
    through = j->sent == 1 ? 0 : j->chunks[j->sent - 2].through;
    if (type == ENC_MSG_ERROR) {
        snprintf(why, whylen, "the enclave refused the count: %.*s", (int)(len > 200 ? 200 : len),
                 resp ? (const char *)resp : "");
    } else if (last && type == ENC_MSG_COUNT_REPORT && resp && len > 0) {
        j->report = malloc(len);
        if (!j->report) {
            snprintf(why, whylen, "out of memory for the report");
        } else {
            memcpy(j->report, resp, len);
            j->report_len = len;
            j->over = true;
            return ST_OK;
        }
    } else if (!last && type == ENC_MSG_COUNT_ACK && len == 4 && resp && get_u32(resp) == through) {
        return ST_PENDING;
    } else {
        snprintf(why, whylen, "the enclave answered frame %zu of the count with message type %u", j->sent,
                 (unsigned)type);
    }
    j->over = true;
    return ST_INVALID;
}

const uint8_t *enc_count_job_report(const enc_count_job *j, size_t *len)
{
    *len = j->report_len;
    return j->report;
}

int enc_host_count(enc_host *h, enc_count_job *j, char *why, size_t whylen, int timeout_ms)
{
    for (;;) {
        uint8_t type, rtype, *resp = NULL;
        const uint8_t *payload;
        size_t len, rlen;
        int rc = enc_count_job_next(j, &type, &payload, &len);
        if (rc != ST_OK) {
            snprintf(why, whylen, "the count job cannot send: %s", st_str(rc));
            return rc == ST_CONFLICT ? ST_CONFLICT : ST_INVALID;
        }
        rc = enc_host_call(h, type, payload, len, &rtype, &resp, &rlen, timeout_ms);
        if (rc != ST_OK) {
            snprintf(why, whylen, "the enclave exchange failed: %s", st_str(rc));
            return rc;
        }
        rc = enc_count_job_answer(j, why, whylen, rtype, resp, rlen);
        enc_host_resp_free(resp);
        if (rc != ST_PENDING)
            return rc;
    }
}
