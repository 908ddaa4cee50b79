/*
 * The checks of the directives that name a directory, a file, a URL or a header, and of the
 * numbers' bounds: each runs when nginx reads the directive, so that `nginx -t` fails with a
 * line that names the directive, its value, the reason and where it was written, rather than a
 * worker finding out at its first request:
 *
 *   iiif_source_dir "/srv/nope": no such directory in /etc/nginx/nginx.conf:12
 *
 * Each handler stores its value as the nginx slot it stands for does. An empty value ("") is
 * what the directive's absence is (no cache, no catalog, a URL derived from each request...),
 * and is taken as it is: it lets a block undo what it inherits.
 *
 * Paths are absolute: a relative one would be read against nginx's prefix, which a reader of the
 * configuration does not see. What is checked is what exists when nginx reads the configuration
 * (as root, usually): that the workers may read or write there is theirs to report.
 */

#include "ngx_http_iiif.h"

/* iiif_cache_max_size's bounds: the tile cache needs room for its largest entries, and LMDB maps
 * twice the size, of the 128 TiB of address space a process has. */
#define NGX_HTTP_IIIF_CACHE_MIN_SIZE ((off_t)16 * 1024 * 1024)
#define NGX_HTTP_IIIF_CACHE_MAX_SIZE ((off_t)32768 * 1024 * 1024 * 1024)

/* Stores the directive's one argument where ngx_conf_set_str_slot would; NULL when it is set
 * already. The argument ends with a NUL, as every argument nginx reads does. */
static ngx_str_t *ngx_http_iiif_take_str(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    ngx_str_t *field = (ngx_str_t *)((char *)conf + cmd->offset);
    ngx_str_t *value = cf->args->elts;

    if (field->data != NULL) {
        return NULL;
    }
    *field = value[1];
    return field;
}

/* Whether `value` holds a control character, or a space unless `allow_space` is set. */
static ngx_uint_t ngx_http_iiif_has_control(ngx_str_t *value, ngx_uint_t allow_space) {
    size_t i;

    for (i = 0; i < value->len; i++) {
        if (value->data[i] < 0x20 || value->data[i] == 0x7f
            || (!allow_space && value->data[i] == ' ')) {
            return 1;
        }
    }
    return 0;
}

/* Logs "directive "value": reason"; a value with control characters (a line break) is left
 * out, so that the log keeps one line per message. */
static char *ngx_http_iiif_refuse(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *value,
                                  const char *reason) {
    if (ngx_http_iiif_has_control(value, 1)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V: %s", &cmd->name, reason);
    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V \"%V\": %s", &cmd->name, value, reason);
    }
    return NGX_CONF_ERROR;
}

static ngx_int_t ngx_http_iiif_absolute(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *value) {
    if (value->data[0] == '/') {
        return NGX_OK;
    }
    ngx_http_iiif_refuse(cf, cmd, value, "must be an absolute path");
    return NGX_ERROR;
}

/* The directory the path `value` lies in, without trailing slashes: a NUL-terminated copy. */
static ngx_int_t ngx_http_iiif_parent(ngx_conf_t *cf, ngx_str_t *value, ngx_str_t *parent) {
    size_t len = value->len;

    while (len > 1 && value->data[len - 1] == '/') {
        len--;
    }
    while (len > 1 && value->data[len - 1] != '/') {
        len--;
    }
    while (len > 1 && value->data[len - 1] == '/') {
        len--;
    }
    parent->data = ngx_pnalloc(cf->temp_pool, len + 1);
    if (parent->data == NULL) {
        return NGX_ERROR;
    }
    ngx_memcpy(parent->data, value->data, len);
    parent->data[len] = '\0';
    parent->len = len;
    return NGX_OK;
}

/* NGX_OK when `dir` is a directory, else logs why not: `dir` is the value itself (dir == value)
 * or the directory it lies in. */
static ngx_int_t ngx_http_iiif_directory(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *value,
                                         ngx_str_t *dir) {
    ngx_file_info_t fi;
    ngx_err_t err;

    if (ngx_file_info(dir->data, &fi) == NGX_FILE_ERROR) {
        err = ngx_errno;
        if (err != NGX_ENOENT && err != NGX_ENOTDIR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, err, "%V \"%V\": cannot stat \"%V\"",
                               &cmd->name, value, dir);
        } else if (dir == value) {
            ngx_http_iiif_refuse(cf, cmd, value, "no such directory");
        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V \"%V\": its directory \"%V\" does not exist", &cmd->name,
                               value, dir);
        }
        return NGX_ERROR;
    }
    if (!ngx_is_dir(&fi)) {
        if (dir == value) {
            ngx_http_iiif_refuse(cf, cmd, value, "not a directory");
        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V \"%V\": \"%V\" is not a directory",
                               &cmd->name, value, dir);
        }
        return NGX_ERROR;
    }
    return NGX_OK;
}

/* An absolute path whose directory exists; *exists says whether the path does, and *fi is then
 * what it is. */
static ngx_int_t ngx_http_iiif_placed_path(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *value,
                                           ngx_file_info_t *fi, ngx_uint_t *exists) {
    ngx_str_t parent;

    if (ngx_http_iiif_absolute(cf, cmd, value) != NGX_OK ||
        ngx_http_iiif_parent(cf, value, &parent) != NGX_OK ||
        ngx_http_iiif_directory(cf, cmd, value, &parent) != NGX_OK) {
        return NGX_ERROR;
    }
    *exists = ngx_file_info(value->data, fi) != NGX_FILE_ERROR;
    return NGX_OK;
}

/* iiif_source_dir: an existing directory. */
char *ngx_http_iiif_set_existing_dir(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    ngx_str_t *value = ngx_http_iiif_take_str(cf, cmd, conf);

    if (value == NULL) {
        return "is duplicate";
    }
    if (value->len == 0) {
        return NGX_CONF_OK;
    }
    if (ngx_http_iiif_absolute(cf, cmd, value) != NGX_OK ||
        ngx_http_iiif_directory(cf, cmd, value, value) != NGX_OK) {
        return NGX_CONF_ERROR;
    }
    return NGX_CONF_OK;
}

/*
 * A path whose last part may not exist yet, in a directory that exists: what is there already
 * must be a directory when `directory` is set (the tile cache, made by the workers), a file
 * otherwise (the catalog, made by iiifd).
 */
static char *ngx_http_iiif_set_placed(ngx_conf_t *cf, ngx_command_t *cmd, void *conf,
                                      ngx_uint_t directory) {
    ngx_str_t *value = ngx_http_iiif_take_str(cf, cmd, conf);
    ngx_file_info_t fi;
    ngx_uint_t exists;

    if (value == NULL) {
        return "is duplicate";
    }
    if (value->len == 0) {
        return NGX_CONF_OK;
    }
    if (ngx_http_iiif_placed_path(cf, cmd, value, &fi, &exists) != NGX_OK) {
        return NGX_CONF_ERROR;
    }
    if (exists && directory && !ngx_is_dir(&fi)) {
        return ngx_http_iiif_refuse(cf, cmd, value, "not a directory");
    }
    if (exists && !directory && ngx_is_dir(&fi)) {
        return ngx_http_iiif_refuse(cf, cmd, value, "is a directory, not a file");
    }
    return NGX_CONF_OK;
}

/* iiif_catalog: a file that iiifd may not have made yet, in a directory that exists. */
char *ngx_http_iiif_set_file_path(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    return ngx_http_iiif_set_placed(cf, cmd, conf, 0);
}

/* iiif_cache_path: a directory the workers make if it is missing, in one that exists. */
char *ngx_http_iiif_set_dir_path(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    return ngx_http_iiif_set_placed(cf, cmd, conf, 1);
}

/* iiif_access_key_file: a key the core can read (its format is the core's, shared with iiifd).
 * The master reads it again for each location that uses it (iiif_service_create). */
char *ngx_http_iiif_set_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    ngx_str_t *value = ngx_http_iiif_take_str(cf, cmd, conf);
    char error[256];

    if (value == NULL) {
        return "is duplicate";
    }
    if (value->len == 0) {
        return NGX_CONF_OK;
    }
    if (ngx_http_iiif_absolute(cf, cmd, value) != NGX_OK) {
        return NGX_CONF_ERROR;
    }
    if (iiif_check_access_key_file((iiif_str_t){(const char *)value->data, value->len}, error,
                                   sizeof(error))
        != 0) {
        return ngx_http_iiif_refuse(cf, cmd, value, error);
    }
    return NGX_CONF_OK;
}

/* iiif_base_url: an absolute http or https URL (the grammar is the core's). */
char *ngx_http_iiif_set_url(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    ngx_str_t *value = ngx_http_iiif_take_str(cf, cmd, conf);
    char error[256];

    if (value == NULL) {
        return "is duplicate";
    }
    if (value->len == 0) {
        return NGX_CONF_OK;
    }
    if (iiif_check_base_url((iiif_str_t){(const char *)value->data, value->len}, error,
                            sizeof(error))
        != 0) {
        return ngx_http_iiif_refuse(cf, cmd, value, error);
    }
    return NGX_CONF_OK;
}

/* iiif_prefix: the path requests start with, as a client sends it. */
char *ngx_http_iiif_set_url_path(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    ngx_str_t *value = ngx_http_iiif_take_str(cf, cmd, conf);

    if (value == NULL) {
        return "is duplicate";
    }
    if (value->len == 0) {
        return NGX_CONF_OK;
    }
    if (value->data[0] != '/') {
        return ngx_http_iiif_refuse(cf, cmd, value, "must start with \"/\"");
    }
    if (ngx_http_iiif_has_control(value, 0)) {
        return ngx_http_iiif_refuse(cf, cmd, value,
                                    "must not hold white space or control characters");
    }
    if (ngx_strlchr(value->data, value->data + value->len, '?') != NULL ||
        ngx_strlchr(value->data, value->data + value->len, '#') != NULL) {
        return ngx_http_iiif_refuse(cf, cmd, value, "must be a path, without \"?\" or \"#\"");
    }
    return NGX_CONF_OK;
}

/* iiif_cache_control: a header's value, sent as it is. */
char *ngx_http_iiif_set_header_value(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    ngx_str_t *value = ngx_http_iiif_take_str(cf, cmd, conf);

    if (value == NULL) {
        return "is duplicate";
    }
    if (ngx_http_iiif_has_control(value, 1)) {
        return ngx_http_iiif_refuse(cf, cmd, value, "must not hold control characters");
    }
    return NGX_CONF_OK;
}

/* iiif_cache_max_size: 16m to 32768g. */
char *ngx_http_iiif_set_cache_size(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    off_t *size = (off_t *)((char *)conf + cmd->offset);
    ngx_str_t *value = cf->args->elts;
    char *rv = ngx_conf_set_off_slot(cf, cmd, conf);

    if (rv != NGX_CONF_OK) {
        return rv;
    }
    if (*size < NGX_HTTP_IIIF_CACHE_MIN_SIZE || *size > NGX_HTTP_IIIF_CACHE_MAX_SIZE) {
        return ngx_http_iiif_refuse(cf, cmd, &value[1], "must be between 16m and 32768g");
    }
    return NGX_CONF_OK;
}

/* The post handler of a number's ngx_conf_num_bounds_t (with a high end), as
 * ngx_conf_check_num_bounds but with the directive and its value named. */
char *ngx_http_iiif_check_bounds(ngx_conf_t *cf, void *post, void *data) {
    ngx_conf_num_bounds_t *bounds = post;
    ngx_int_t *number = data;
    ngx_str_t *value = cf->args->elts;

    if (*number >= bounds->low && *number <= bounds->high) {
        return NGX_CONF_OK;
    }
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V \"%V\": must be between %i and %i", &value[0],
                       &value[1], bounds->low, bounds->high);
    return NGX_CONF_ERROR;
}
