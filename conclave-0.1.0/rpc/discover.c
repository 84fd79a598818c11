/* SPDX-License-Identifier: MIT */
/* discover.c: rpc.discover, the OpenRPC document of a server's methods, built on each call from the
 * method table (each entry's summary, param descriptions and result), so it cannot drift from what
 * the server answers: the table is the only list of methods. */
#include "rpc/rpc_int.h"

#include <stdbool.h>
#include <string.h>

static bool add_text(cJSON *obj, const char *key, const char *text)
{
    return cJSON_AddStringToObject(obj, key, text ? text : "") != NULL;
}

/* Fills d (NULL: out of memory) as an OpenRPC content descriptor {name, description, schema: {}} (any
 * JSON value: the description says what it holds). */
static bool describe(cJSON *d, const char *name, const char *description)
{
    return d && add_text(d, "name", name) && add_text(d, "description", description)
           && cJSON_AddObjectToObject(d, "schema") != NULL;
}

/* A param's descriptor appended to params: "required" unless its description begins with
 * RPC_PARAM_OPTIONAL. */
static bool add_param(cJSON *params, const char *name, const char *description)
{
    static const char optional[] = RPC_PARAM_OPTIONAL;
    bool required = !description || strncmp(description, optional, sizeof optional - 1) != 0;
    cJSON *d = cJSON_CreateObject();
    if (!d || !cJSON_AddItemToArray(params, d)) {
        cJSON_Delete(d);
        return false;
    }
    return describe(d, name, description) && cJSON_AddBoolToObject(d, "required", required);
}

static bool add_method(cJSON *methods, const rpc_method *m)
{
    cJSON *o = cJSON_CreateObject(), *params;
    if (!o || !cJSON_AddItemToArray(methods, o)) {
        cJSON_Delete(o);
        return false;
    }
    if (!add_text(o, "name", m->name) || !add_text(o, "summary", m->summary)
        || !cJSON_AddStringToObject(o, "paramStructure", "either") || !(params = cJSON_AddArrayToObject(o, "params")))
        return false;
    for (size_t i = 0; m->params && m->params[i]; i++)
        if (!add_param(params, m->params[i], m->param_docs ? m->param_docs[i] : NULL))
            return false;
    if (!describe(cJSON_AddObjectToObject(o, "result"), "result", m->result))
        return false;
    return !(m->flags & RPC_ADMIN) || cJSON_AddBoolToObject(o, "x-admin", true);
}

cJSON *rpc_discover_document(const rpc_server *s)
{
    cJSON *doc = cJSON_CreateObject(), *info, *methods;
    if (!doc || !cJSON_AddStringToObject(doc, "openrpc", "1.2.6") || !(info = cJSON_AddObjectToObject(doc, "info"))
        || !cJSON_AddStringToObject(info, "title", s->name) || !cJSON_AddStringToObject(info, "version", PACKAGE_VERSION)
        || !(methods = cJSON_AddArrayToObject(doc, "methods")))
        goto fail;
    for (size_t i = 0; i < s->n_methods; i++)
        if ((!(s->methods[i].flags & RPC_DEV) || s->dev) && !add_method(methods, &s->methods[i]))
            goto fail;
    return doc;
fail:
    cJSON_Delete(doc);
    return NULL;
}
