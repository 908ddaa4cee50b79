# shellcheck shell=bash disable=SC2034 # the values of the templates' placeholders
# The one generator of the nginx.conf and iiifd.toml files that scripts/demo, the browser tests
# (tests/browser/stack.sh) and the benchmarks write: the templates in conf/templates/ (see
# conf/README.md), whose @NAME@ placeholders take the values of the caller's shell variables.

conf_templates=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../conf/templates" && pwd)

# render_template TEMPLATE: prints conf/templates/TEMPLATE with each @NAME@ replaced by the value
# of the shell variable NAME (set it to "" for nothing). Fails, naming it, on a placeholder whose
# variable is unset, so that no file is written with a hole in it. Values are not searched for
# placeholders in turn. No placeholder is named after a variable of the environment or of bash
# (USER, HOME, GROUPS, ...), which would fill it unasked.
render_template() {
    local file=$conf_templates/$1 text out='' name
    if [[ ! -f $file ]]; then
        echo "render_template: no template $file" >&2
        return 1
    fi
    text=$(<"$file")
    while [[ $text =~ @([A-Z][A-Z0-9_]*)@ ]]; do
        name=${BASH_REMATCH[1]}
        if [[ ! -v $name ]]; then
            echo "render_template: $1: @$name@ is not set" >&2
            return 1
        fi
        out+=${text%%"@$name@"*}${!name}
        text=${text#*"@$name@"}
    done
    printf '%s\n' "$out$text"
}

# render_nginx_conf: nginx.conf.in from the caller's variables. As root it names the workers'
# user, nobody, who must then read the images and write the cache; otherwise nginx runs as the
# user who starts it and would only warn about a user directive.
render_nginx_conf() {
    local WORKER_USER=''
    if ((EUID == 0)); then
        WORKER_USER="user nobody $(id -gn nobody);"
    fi
    render_template nginx.conf.in
}

# render_site_conf: the platform's nginx.conf, as the demo and the browser tests run it:
# site.conf.in for the server (the Image API, the ARK resolver, the pages) with
# http-site.conf.in and a render queue of 512, from the caller's variables; with SOURCE_DIR not
# empty, file mode too (source-dir.conf.in), with ACCESS_KEY_FILE not empty, access checks and
# iiifd's services (iiifd-services.conf.in).
render_site_conf() {
    local HTTP SERVER FILE_MODE='' IIIFD='' THREAD_QUEUE=512
    HTTP=$(render_template http-site.conf.in) || return 1
    if [[ -n $SOURCE_DIR ]]; then
        FILE_MODE=$(render_template source-dir.conf.in) || return 1
    fi
    if [[ -n $ACCESS_KEY_FILE ]]; then
        IIIFD=$(render_template iiifd-services.conf.in) || return 1
    fi
    SERVER=$(render_template site.conf.in) || return 1
    render_nginx_conf
}

# render_iiifd_conf: iiifd.toml.in from the caller's variables; those that name something
# optional (a shoulder's subject, description and service, the global resolver, the
# institution's homepage, the OAI repository identifier, MORE) are "" unless set, which is
# iiifd's default.
render_iiifd_conf() {
    local SHOULDER_SUBJECT=${SHOULDER_SUBJECT-} SHOULDER_DESCRIPTION=${SHOULDER_DESCRIPTION-}
    local SHOULDER_SERVICE=${SHOULDER_SERVICE-} GLOBAL_RESOLVER=${GLOBAL_RESOLVER-}
    local INSTITUTION_HOMEPAGE=${INSTITUTION_HOMEPAGE-} MORE=${MORE-}
    local OAI_REPOSITORY_IDENTIFIER=${OAI_REPOSITORY_IDENTIFIER-}
    render_template iiifd.toml.in
}
