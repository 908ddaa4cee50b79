/* The three symbols nginx looks up in a dynamic module (what nginx's configure would generate
 * as ngx_http_iiif_module_modules.c). */
#include <ngx_config.h>
#include <ngx_core.h>

extern ngx_module_t ngx_http_iiif_module;

ngx_module_t *ngx_modules[] = {&ngx_http_iiif_module, NULL};

char *ngx_module_names[] = {"ngx_http_iiif_module", NULL};

char *ngx_module_order[] = {NULL};
