/*
 * NuSecPkcs11Signer: ECDSA P-256 signing with a key that stays inside a PKCS#11 token.
 *
 * Modules are loaded through p11-kit (managed mode) once per process and per module file, and
 * never finalized. Each signer keeps a small pool of logged-in sessions: a caller takes one
 * for the duration of one C_SignInit + C_Sign, so several threads sign at the same time, each
 * with its own session (PKCS#11 forbids concurrent operations on one session).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "nusec-pkcs11-signer.h"

#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>
#include <stdlib.h>
#include <string.h>

#include "fwc-crypto.h"
#include "nusec-error.h"
#include "nusec-pkcs11-config.h"

/* idle sessions kept per signer; more are closed when returned */
#define NUSEC_PKCS11_IDLE_MAX 16
/* random CKA_ID length for generated keys without id= */
#define NUSEC_PKCS11_ID_LEN 16

/* DER OID prime256v1 (1.2.840.10045.3.1.7), the only curve supported */
static const guint8 nusec_pkcs11_p256_params[] =
    {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

struct _NuSecPkcs11Signer {
	GObject parent_instance;
	CK_FUNCTION_LIST *module; /* owned by the process-wide module cache */
	CK_SLOT_ID slot;
	CK_FLAGS token_flags;
	gchar *token_label;
	gchar *display_uri; /* the URI without pin-value, for messages */
	gchar *pin;	    /* NULL when none; wiped on finalize */
	CK_OBJECT_HANDLE key;
	GBytes *spki;
	GMutex mutex; /* protects idle */
	GArray *idle; /* of CK_SESSION_HANDLE, opened and logged in */
};

static void
nusec_pkcs11_signer_iface_init(NuSecSignerInterface *iface);

G_DEFINE_TYPE_WITH_CODE(NuSecPkcs11Signer,
			nusec_pkcs11_signer,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(NUSEC_TYPE_SIGNER, nusec_pkcs11_signer_iface_init))

/* ---- errors ---- */

static const gchar *
nusec_pkcs11_rv_name(CK_RV rv)
{
	switch (rv) {
#define NAME(x)                                                                                    \
	case x:                                                                                    \
		return #x
		NAME(CKR_OK);
		NAME(CKR_CANCEL);
		NAME(CKR_HOST_MEMORY);
		NAME(CKR_SLOT_ID_INVALID);
		NAME(CKR_GENERAL_ERROR);
		NAME(CKR_FUNCTION_FAILED);
		NAME(CKR_ARGUMENTS_BAD);
		NAME(CKR_ATTRIBUTE_READ_ONLY);
		NAME(CKR_ATTRIBUTE_SENSITIVE);
		NAME(CKR_ATTRIBUTE_TYPE_INVALID);
		NAME(CKR_ATTRIBUTE_VALUE_INVALID);
		NAME(CKR_DATA_INVALID);
		NAME(CKR_DATA_LEN_RANGE);
		NAME(CKR_DEVICE_ERROR);
		NAME(CKR_DEVICE_MEMORY);
		NAME(CKR_DEVICE_REMOVED);
		NAME(CKR_FUNCTION_NOT_SUPPORTED);
		NAME(CKR_KEY_HANDLE_INVALID);
		NAME(CKR_KEY_TYPE_INCONSISTENT);
		NAME(CKR_KEY_FUNCTION_NOT_PERMITTED);
		NAME(CKR_MECHANISM_INVALID);
		NAME(CKR_MECHANISM_PARAM_INVALID);
		NAME(CKR_OBJECT_HANDLE_INVALID);
		NAME(CKR_OPERATION_ACTIVE);
		NAME(CKR_OPERATION_NOT_INITIALIZED);
		NAME(CKR_PIN_INCORRECT);
		NAME(CKR_PIN_INVALID);
		NAME(CKR_PIN_LEN_RANGE);
		NAME(CKR_PIN_EXPIRED);
		NAME(CKR_PIN_LOCKED);
		NAME(CKR_SESSION_CLOSED);
		NAME(CKR_SESSION_COUNT);
		NAME(CKR_SESSION_HANDLE_INVALID);
		NAME(CKR_SESSION_READ_ONLY);
		NAME(CKR_TEMPLATE_INCOMPLETE);
		NAME(CKR_TEMPLATE_INCONSISTENT);
		NAME(CKR_TOKEN_NOT_PRESENT);
		NAME(CKR_TOKEN_NOT_RECOGNIZED);
		NAME(CKR_TOKEN_WRITE_PROTECTED);
		NAME(CKR_USER_ALREADY_LOGGED_IN);
		NAME(CKR_USER_NOT_LOGGED_IN);
		NAME(CKR_USER_PIN_NOT_INITIALIZED);
		NAME(CKR_USER_TYPE_INVALID);
		NAME(CKR_DOMAIN_PARAMS_INVALID);
		NAME(CKR_CURVE_NOT_SUPPORTED);
		NAME(CKR_BUFFER_TOO_SMALL);
		NAME(CKR_CRYPTOKI_NOT_INITIALIZED);
		NAME(CKR_CRYPTOKI_ALREADY_INITIALIZED);
#undef NAME
	default:
		return NULL;
	}
}

static void
nusec_pkcs11_set_error(GError **error, CK_RV rv, const gchar *what)
{
	const gchar *name = nusec_pkcs11_rv_name(rv);
	g_autofree gchar *code = NULL;

	if (name == NULL)
		name = code = g_strdup_printf("CKR 0x%lx", (gulong)rv);
	g_set_error(error,
		    NUSEC_ERROR,
		    NUSEC_ERROR_PKCS11,
		    "%s: %s (%s)",
		    what,
		    p11_kit_strerror(rv),
		    name);
}

/* ---- modules: loaded and initialized once per process and per file ---- */

static GMutex nusec_pkcs11_modules_mutex;
static GHashTable *nusec_pkcs11_modules = NULL; /* canonical path -> CK_FUNCTION_LIST */

static CK_FUNCTION_LIST *
nusec_pkcs11_module_get(const gchar *path, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&nusec_pkcs11_modules_mutex);
	g_autofree gchar *canonical = NULL;
	CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
	CK_FUNCTION_LIST *module;
	CK_RV rv;

	/* the same file under two names must not be loaded twice */
	if (g_path_is_absolute(path)) {
		char resolved[PATH_MAX];
		if (realpath(path, resolved) == NULL) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_NOT_FOUND,
				    "PKCS#11 module %s: %s",
				    path,
				    g_strerror(errno));
			return NULL;
		}
		canonical = g_strdup(resolved);
	} else {
		canonical = g_strdup(path);
	}
	if (nusec_pkcs11_modules == NULL)
		nusec_pkcs11_modules = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	module = g_hash_table_lookup(nusec_pkcs11_modules, canonical);
	if (module != NULL)
		return module;

	module = p11_kit_module_load(canonical, 0);
	if (module == NULL) {
		const gchar *msg = p11_kit_message();
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_NOT_FOUND,
			    "cannot load PKCS#11 module %s: %s",
			    path,
			    msg != NULL ? msg : "unknown error");
		return NULL;
	}
	/* several threads use the module: ask for OS locking (SoftHSM disables its own locking
	 * for C_Initialize(NULL)) */
	rv = module->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		g_autofree gchar *what =
		    g_strdup_printf("cannot initialize PKCS#11 module %s", path);
		p11_kit_module_release(module);
		nusec_pkcs11_set_error(error, rv, what);
		return NULL;
	}
	g_hash_table_insert(nusec_pkcs11_modules, g_steal_pointer(&canonical), module);
	return module;
}

/* module-name=NAME: the "module:" line of NAME.module in p11-kit's configuration folders */
static gchar *
nusec_pkcs11_module_path_for_name(const gchar *name, GError **error)
{
	const gchar *dirs[] = {"/etc/pkcs11/modules", NUSEC_P11_MODULE_CONFIGS};

	if (name[0] == '\0' || strchr(name, '/') != NULL || g_str_has_prefix(name, ".")) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "invalid module-name '%s'",
			    name);
		return NULL;
	}
	for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
		g_autofree gchar *fn = g_strdup_printf("%s/%s.module", dirs[i], name);
		g_autofree gchar *text = NULL;
		g_auto(GStrv) lines = NULL;

		if (!g_file_get_contents(fn, &text, NULL, NULL))
			continue;
		lines = g_strsplit(text, "\n", -1);
		for (guint j = 0; lines[j] != NULL; j++) {
			gchar *line = g_strstrip(lines[j]);
			if (g_str_has_prefix(line, "module:")) {
				gchar *value = g_strstrip(line + strlen("module:"));
				if (value[0] != '\0')
					return g_strdup(value);
			}
		}
	}
	g_set_error(error,
		    NUSEC_ERROR,
		    NUSEC_ERROR_NOT_FOUND,
		    "no p11-kit module named '%s' (looked for %s.module in /etc/pkcs11/modules and "
		    "%s)",
		    name,
		    name,
		    NUSEC_P11_MODULE_CONFIGS);
	return NULL;
}

static gchar *
nusec_pkcs11_module_path_for_uri(P11KitUri *uri, GError **error)
{
	const gchar *path = p11_kit_uri_get_module_path(uri);
	const gchar *name = p11_kit_uri_get_module_name(uri);
	const gchar *env = g_getenv("NUSEC_PKCS11_MODULE");

	if (path != NULL && path[0] != '\0')
		return g_strdup(path);
	if (name != NULL)
		return nusec_pkcs11_module_path_for_name(name, error);
	if (env != NULL && env[0] != '\0')
		return g_strdup(env);
	if (NUSEC_DEFAULT_PKCS11_MODULE[0] != '\0')
		return g_strdup(NUSEC_DEFAULT_PKCS11_MODULE);
	g_set_error_literal(
	    error,
	    NUSEC_ERROR,
	    NUSEC_ERROR_NOT_FOUND,
	    "no PKCS#11 module: add module-path= to the URI or set NUSEC_PKCS11_MODULE");
	return NULL;
}

/* ---- URI ---- */

typedef struct {
	P11KitUri *uri;
	gchar *display; /* the URI as given, without pin-value */
	gchar *pin;	/* from pin-value or pin-source; wiped */
	gchar *module_path;
} NuSecPkcs11Uri;

static void
nusec_pkcs11_uri_free(NuSecPkcs11Uri *self)
{
	if (self->uri != NULL)
		p11_kit_uri_free(self->uri);
	if (self->pin != NULL) {
		OPENSSL_cleanse(self->pin, strlen(self->pin));
		g_free(self->pin);
	}
	g_free(self->display);
	g_free(self->module_path);
	g_free(self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NuSecPkcs11Uri, nusec_pkcs11_uri_free)

/* checks that no attribute name appears twice (RFC 7512 forbids it; p11-kit keeps the last)
 * and, for the query, that only the attributes this signer understands are present */
static gboolean
nusec_pkcs11_uri_check_names(const gchar *part, gchar sep, gboolean query, GError **error)
{
	const gchar *known[] = {"pin-value", "pin-source", "module-name", "module-path"};
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	gchar seps[2] = {sep, '\0'};
	g_auto(GStrv) items = g_strsplit(part, seps, -1);

	for (guint i = 0; items[i] != NULL; i++) {
		const gchar *eq = strchr(items[i], '=');
		g_autofree gchar *name = NULL;
		gboolean ok = !query;

		if (items[i][0] == '\0')
			continue;
		name = eq != NULL ? g_strndup(items[i], eq - items[i]) : g_strdup(items[i]);
		for (guint j = 0; query && j < G_N_ELEMENTS(known); j++) {
			if (g_strcmp0(name, known[j]) == 0)
				ok = TRUE;
		}
		if (!ok) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "unknown PKCS#11 URI query attribute '%s'",
				    name);
			return FALSE;
		}
		if (g_hash_table_contains(seen, name)) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "PKCS#11 URI attribute '%s' appears twice",
				    name);
			return FALSE;
		}
		g_hash_table_add(seen, g_steal_pointer(&name));
	}
	return TRUE;
}

static gchar *
nusec_pkcs11_uri_display(const gchar *text)
{
	const gchar *q = strchr(text, '?');
	g_auto(GStrv) items = NULL;
	g_autoptr(GPtrArray) kept = g_ptr_array_new();
	GString *str;

	if (q == NULL)
		return g_strdup(text);
	str = g_string_new_len(text, q - text);
	items = g_strsplit(q + 1, "&", -1);
	/* only what is known not to be secret: no pin-value, nor a misspelt one */
	for (guint i = 0; items[i] != NULL; i++) {
		if (g_str_has_prefix(items[i], "pin-source=") ||
		    g_str_has_prefix(items[i], "module-name=") ||
		    g_str_has_prefix(items[i], "module-path="))
			g_ptr_array_add(kept, items[i]);
	}
	for (guint i = 0; i < kept->len; i++) {
		g_string_append_c(str, i == 0 ? '?' : '&');
		g_string_append(str, g_ptr_array_index(kept, i));
	}
	return g_string_free(str, FALSE);
}

static gchar *
nusec_pkcs11_pin_from_source(const gchar *source, GError **error)
{
	g_autofree gchar *path = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(GError) error_local = NULL;
	gsize len = 0;
	gchar *pin;

	if (g_str_has_prefix(source, "file://")) {
		path = g_filename_from_uri(source, NULL, &error_local);
		if (path == NULL) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "invalid pin-source '%s': %s",
				    source,
				    error_local->message);
			return NULL;
		}
	} else if (g_str_has_prefix(source, "file:")) {
		path = g_strdup(source + strlen("file:"));
	} else if (g_path_is_absolute(source)) {
		path = g_strdup(source);
	} else {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_NOT_SUPPORTED,
			    "pin-source '%s': only file: sources are supported",
			    source);
		return NULL;
	}
	if (!g_file_get_contents(path, &text, &len, &error_local)) {
		g_set_error(error,
			    NUSEC_ERROR,
			    g_error_matches(error_local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
				? NUSEC_ERROR_NOT_FOUND
				: NUSEC_ERROR_INVALID_ARGUMENT,
			    "cannot read the PIN: %s",
			    error_local->message);
		return NULL;
	}
	/* one trailing newline (as echo writes it) is not part of the PIN */
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (len > 0 && text[len - 1] == '\r')
		text[--len] = '\0';
	if (len == 0 || strlen(text) != len) {
		OPENSSL_cleanse(text, len);
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "PIN file %s is empty or holds a NUL byte",
			    path);
		return NULL;
	}
	pin = g_strdup(text);
	OPENSSL_cleanse(text, len);
	return pin;
}

static NuSecPkcs11Uri *
nusec_pkcs11_uri_parse(const gchar *text, GError **error)
{
	g_autoptr(NuSecPkcs11Uri) self = g_new0(NuSecPkcs11Uri, 1);
	g_autofree gchar *path_part = NULL;
	const gchar *query;
	const gchar *pin_value;
	const gchar *pin_source;
	int rc;

	if (text == NULL || g_ascii_strncasecmp(text, "pkcs11:", 7) != 0) {
		g_set_error_literal(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "not a PKCS#11 URI (RFC 7512): it must start with 'pkcs11:'");
		return NULL;
	}
	self->display = nusec_pkcs11_uri_display(text);
	self->uri = p11_kit_uri_new();
	rc = p11_kit_uri_parse(text, P11_KIT_URI_FOR_ANY, self->uri);
	if (rc != P11_KIT_URI_OK) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "invalid PKCS#11 URI %s: %s",
			    self->display,
			    p11_kit_uri_message(rc));
		return NULL;
	}
	if (p11_kit_uri_any_unrecognized(self->uri)) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "PKCS#11 URI %s has an unknown attribute or value",
			    self->display);
		return NULL;
	}
	query = strchr(text, '?');
	path_part = query != NULL ? g_strndup(text + 7, query - text - 7) : g_strdup(text + 7);
	if (!nusec_pkcs11_uri_check_names(path_part, ';', FALSE, error) ||
	    (query != NULL && !nusec_pkcs11_uri_check_names(query + 1, '&', TRUE, error))) {
		g_prefix_error(error, "invalid PKCS#11 URI %s: ", self->display);
		return NULL;
	}

	pin_value = p11_kit_uri_get_pin_value(self->uri);
	pin_source = p11_kit_uri_get_pin_source(self->uri);
	if (pin_value != NULL && pin_source != NULL) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "PKCS#11 URI %s has both pin-value and pin-source",
			    self->display);
		return NULL;
	}
	if (pin_value != NULL) {
		self->pin = g_strdup(pin_value);
	} else if (pin_source != NULL) {
		self->pin = nusec_pkcs11_pin_from_source(pin_source, error);
		if (self->pin == NULL)
			return NULL;
	}
	/* do not keep a second copy of the PIN in the parsed URI */
	if (pin_value != NULL) {
		OPENSSL_cleanse((gchar *)pin_value, strlen(pin_value));
		p11_kit_uri_set_pin_value(self->uri, NULL);
	}

	self->module_path = nusec_pkcs11_module_path_for_uri(self->uri, error);
	if (self->module_path == NULL)
		return NULL;
	return g_steal_pointer(&self);
}

/* the object class the URI asks for must be a private key, or absent */
static gboolean
nusec_pkcs11_uri_check_type(NuSecPkcs11Uri *uri, GError **error)
{
	CK_ATTRIBUTE *attr = p11_kit_uri_get_attribute(uri->uri, CKA_CLASS);
	CK_OBJECT_CLASS klass;

	if (attr == NULL)
		return TRUE;
	if (attr->ulValueLen == sizeof(klass)) {
		memcpy(&klass, attr->pValue, sizeof(klass));
		if (klass == CKO_PRIVATE_KEY)
			return TRUE;
	}
	g_set_error(error,
		    NUSEC_ERROR,
		    NUSEC_ERROR_INVALID_ARGUMENT,
		    "PKCS#11 URI %s: a signing key is named with type=private (or no type=)",
		    uri->display);
	return FALSE;
}

/* ---- tokens, sessions, login ---- */

static gchar *
nusec_pkcs11_padded_string(const CK_UTF8CHAR *buf, gsize len)
{
	gchar *str = g_strndup((const gchar *)buf, len);
	return g_strchomp(str);
}

static gboolean
nusec_pkcs11_find_slot(CK_FUNCTION_LIST *module,
		       NuSecPkcs11Uri *uri,
		       CK_SLOT_ID *slot_out,
		       CK_TOKEN_INFO *token_out,
		       GError **error)
{
	CK_INFO info;
	CK_ULONG n_slots = 0;
	g_autofree CK_SLOT_ID *slots = NULL;
	CK_SLOT_ID wanted = p11_kit_uri_get_slot_id(uri->uri);
	guint matches = 0;
	CK_RV rv;

	rv = module->C_GetInfo(&info);
	if (rv != CKR_OK) {
		nusec_pkcs11_set_error(error, rv, "C_GetInfo failed");
		return FALSE;
	}
	if (!p11_kit_uri_match_module_info(uri->uri, &info)) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_NOT_FOUND,
			    "PKCS#11 module %s does not match %s",
			    uri->module_path,
			    uri->display);
		return FALSE;
	}
	rv = module->C_GetSlotList(CK_TRUE, NULL, &n_slots);
	if (rv == CKR_OK && n_slots > 0) {
		slots = g_new0(CK_SLOT_ID, n_slots);
		rv = module->C_GetSlotList(CK_TRUE, slots, &n_slots);
	}
	if (rv != CKR_OK) {
		nusec_pkcs11_set_error(error, rv, "C_GetSlotList failed");
		return FALSE;
	}
	for (CK_ULONG i = 0; i < n_slots; i++) {
		CK_SLOT_INFO slot_info;
		CK_TOKEN_INFO token_info;

		if (wanted != (CK_SLOT_ID)-1 && slots[i] != wanted)
			continue;
		if (module->C_GetSlotInfo(slots[i], &slot_info) != CKR_OK ||
		    !p11_kit_uri_match_slot_info(uri->uri, &slot_info))
			continue;
		if (module->C_GetTokenInfo(slots[i], &token_info) != CKR_OK)
			continue;
		if ((token_info.flags & CKF_TOKEN_INITIALIZED) == 0)
			continue;
		if (!p11_kit_uri_match_token_info(uri->uri, &token_info))
			continue;
		if (matches++ == 0) {
			*slot_out = slots[i];
			*token_out = token_info;
		}
	}
	if (matches == 0) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_NOT_FOUND,
			    "no initialized token in %s matches %s",
			    uri->module_path,
			    uri->display);
		return FALSE;
	}
	if (matches > 1) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "%u tokens match %s: name one with token= or serial=",
			    matches,
			    uri->display);
		return FALSE;
	}
	return TRUE;
}

/* PKCS#11 login state belongs to the process, not to a session: once any session of the
 * process is logged in to a token, C_Login answers CKR_USER_ALREADY_LOGGED_IN whatever the
 * PIN. So that a signer with a wrong PIN still fails then, remember (per module and slot) the
 * SHA-256 of the PIN that last logged in successfully and compare against it. */
static GMutex nusec_pkcs11_logins_mutex;
static GHashTable *nusec_pkcs11_logins = NULL; /* "module/slot" -> SHA-256 of the PIN */

static gchar *
nusec_pkcs11_signer_login_key(NuSecPkcs11Signer *self)
{
	return g_strdup_printf("%p/%lu", (gpointer)self->module, (gulong)self->slot);
}

static void
nusec_pkcs11_signer_login_remember(NuSecPkcs11Signer *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&nusec_pkcs11_logins_mutex);
	guint8 *hash = g_malloc(SHA256_DIGEST_LENGTH);

	if (nusec_pkcs11_logins == NULL)
		nusec_pkcs11_logins =
		    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	SHA256((const guint8 *)self->pin, strlen(self->pin), hash);
	g_hash_table_replace(nusec_pkcs11_logins, nusec_pkcs11_signer_login_key(self), hash);
}

/* FALSE when a PIN is known to have logged in and ours differs */
static gboolean
nusec_pkcs11_signer_login_matches(NuSecPkcs11Signer *self)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&nusec_pkcs11_logins_mutex);
	g_autofree gchar *key = nusec_pkcs11_signer_login_key(self);
	const guint8 *known;
	guint8 hash[SHA256_DIGEST_LENGTH];

	if (nusec_pkcs11_logins == NULL)
		return TRUE;
	known = g_hash_table_lookup(nusec_pkcs11_logins, key);
	if (known == NULL)
		return TRUE;
	SHA256((const guint8 *)self->pin, strlen(self->pin), hash);
	return fwc_ct_equal(known, hash, sizeof(hash)) == 1;
}

static gboolean
nusec_pkcs11_signer_login(NuSecPkcs11Signer *self, CK_SESSION_HANDLE session, GError **error)
{
	CK_SESSION_INFO info;
	CK_RV rv;

	if (self->pin == NULL) {
		/* a token that needs a PIN needs it in the URI, even when another part of the
		 * process has already logged in */
		if ((self->token_flags & CKF_LOGIN_REQUIRED) != 0 &&
		    (self->token_flags & CKF_PROTECTED_AUTHENTICATION_PATH) == 0) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_AUTH_FAILED,
				    "token '%s' needs a PIN: add pin-value= or pin-source= to %s",
				    self->token_label,
				    self->display_uri);
			return FALSE;
		}
		if ((self->token_flags & CKF_LOGIN_REQUIRED) == 0)
			return TRUE;
	}

	rv = self->module->C_GetSessionInfo(session, &info);
	if (rv != CKR_OK) {
		nusec_pkcs11_set_error(error, rv, "C_GetSessionInfo failed");
		return FALSE;
	}
	if (info.state == CKS_RO_USER_FUNCTIONS || info.state == CKS_RW_USER_FUNCTIONS) {
		rv = CKR_USER_ALREADY_LOGGED_IN;
	} else if (self->pin == NULL) {
		rv = self->module->C_Login(session, CKU_USER, NULL, 0);
	} else {
		rv = self->module->C_Login(session,
					   CKU_USER,
					   (CK_UTF8CHAR_PTR)self->pin,
					   strlen(self->pin));
		if (rv == CKR_OK)
			nusec_pkcs11_signer_login_remember(self);
	}
	if (rv == CKR_USER_ALREADY_LOGGED_IN && self->pin != NULL &&
	    !nusec_pkcs11_signer_login_matches(self))
		rv = CKR_PIN_INCORRECT;

	switch (rv) {
	case CKR_OK:
	case CKR_USER_ALREADY_LOGGED_IN:
		return TRUE;
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_AUTH_FAILED,
			    "wrong PIN for token '%s' (%s)",
			    self->token_label,
			    nusec_pkcs11_rv_name(rv));
		return FALSE;
	case CKR_PIN_LOCKED:
	case CKR_PIN_EXPIRED:
	case CKR_USER_PIN_NOT_INITIALIZED:
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_AUTH_FAILED,
			    "cannot log in to token '%s': %s (%s)",
			    self->token_label,
			    p11_kit_strerror(rv),
			    nusec_pkcs11_rv_name(rv));
		return FALSE;
	default: {
		g_autofree gchar *what =
		    g_strdup_printf("cannot log in to token '%s'", self->token_label);
		nusec_pkcs11_set_error(error, rv, what);
		return FALSE;
	}
	}
}

static gboolean
nusec_pkcs11_signer_open_session(NuSecPkcs11Signer *self,
				 gboolean rw,
				 CK_SESSION_HANDLE *session,
				 GError **error)
{
	CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	CK_RV rv = self->module->C_OpenSession(self->slot, flags, NULL, NULL, session);

	if (rv != CKR_OK) {
		g_autofree gchar *what =
		    g_strdup_printf("cannot open a session on token '%s'", self->token_label);
		nusec_pkcs11_set_error(error, rv, what);
		return FALSE;
	}
	if (!nusec_pkcs11_signer_login(self, *session, error)) {
		self->module->C_CloseSession(*session);
		return FALSE;
	}
	return TRUE;
}

static gboolean
nusec_pkcs11_signer_session_acquire(NuSecPkcs11Signer *self,
				    CK_SESSION_HANDLE *session,
				    GError **error)
{
	g_mutex_lock(&self->mutex);
	if (self->idle->len > 0) {
		*session = g_array_index(self->idle, CK_SESSION_HANDLE, self->idle->len - 1);
		g_array_set_size(self->idle, self->idle->len - 1);
		g_mutex_unlock(&self->mutex);
		return TRUE;
	}
	g_mutex_unlock(&self->mutex);
	return nusec_pkcs11_signer_open_session(self, FALSE, session, error);
}

static void
nusec_pkcs11_signer_session_release(NuSecPkcs11Signer *self, CK_SESSION_HANDLE session)
{
	g_mutex_lock(&self->mutex);
	if (self->idle->len < NUSEC_PKCS11_IDLE_MAX) {
		g_array_append_val(self->idle, session);
		session = CK_INVALID_HANDLE;
	}
	g_mutex_unlock(&self->mutex);
	if (session != CK_INVALID_HANDLE)
		self->module->C_CloseSession(session);
}

/* ---- objects ---- */

/* finds at most two objects; returns how many were found (0, 1 or 2) in *n */
static gboolean
nusec_pkcs11_find(CK_FUNCTION_LIST *module,
		  CK_SESSION_HANDLE session,
		  CK_ATTRIBUTE *tmpl,
		  CK_ULONG n_tmpl,
		  CK_OBJECT_HANDLE found[2],
		  CK_ULONG *n,
		  GError **error)
{
	CK_RV rv = module->C_FindObjectsInit(session, tmpl, n_tmpl);

	if (rv != CKR_OK) {
		nusec_pkcs11_set_error(error, rv, "C_FindObjectsInit failed");
		return FALSE;
	}
	*n = 0;
	rv = module->C_FindObjects(session, found, 2, n);
	module->C_FindObjectsFinal(session);
	if (rv != CKR_OK) {
		nusec_pkcs11_set_error(error, rv, "C_FindObjects failed");
		return FALSE;
	}
	return TRUE;
}

/* reads one variable-length attribute (at most @max bytes) */
static GBytes *
nusec_pkcs11_get_attribute(CK_FUNCTION_LIST *module,
			   CK_SESSION_HANDLE session,
			   CK_OBJECT_HANDLE obj,
			   CK_ATTRIBUTE_TYPE type,
			   gsize max,
			   const gchar *name,
			   GError **error)
{
	CK_ATTRIBUTE attr = {type, NULL, 0};
	g_autofree guint8 *buf = NULL;
	CK_RV rv = module->C_GetAttributeValue(session, obj, &attr, 1);

	if (rv == CKR_OK && attr.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		rv = CKR_ATTRIBUTE_TYPE_INVALID;
	if (rv == CKR_OK && attr.ulValueLen > max) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_DATA,
			    "%s is too long (%lu bytes)",
			    name,
			    (gulong)attr.ulValueLen);
		return NULL;
	}
	if (rv == CKR_OK) {
		buf = g_malloc0(attr.ulValueLen + 1);
		attr.pValue = buf;
		rv = module->C_GetAttributeValue(session, obj, &attr, 1);
	}
	if (rv != CKR_OK) {
		g_autofree gchar *what = g_strdup_printf("cannot read %s", name);
		nusec_pkcs11_set_error(error, rv, what);
		return NULL;
	}
	return g_bytes_new_take(g_steal_pointer(&buf), attr.ulValueLen);
}

/* the P-256 SPKI of a public key object; CKA_EC_POINT is DER OCTET STRING { 04 || X || Y },
 * some modules give the bare point */
static GBytes *
nusec_pkcs11_public_key_spki(CK_FUNCTION_LIST *module,
			     CK_SESSION_HANDLE session,
			     CK_OBJECT_HANDLE pub,
			     GError **error)
{
	g_autoptr(GBytes) ec_point = NULL;
	const guint8 *buf;
	const guint8 *point = NULL;
	gsize len = 0;
	guint8 spki[FWC_P256_SPKI_LEN];

	ec_point = nusec_pkcs11_get_attribute(module,
					      session,
					      pub,
					      CKA_EC_POINT,
					      256,
					      "CKA_EC_POINT",
					      error);
	if (ec_point == NULL)
		return NULL;
	buf = g_bytes_get_data(ec_point, &len);
	if (len == FWC_P256_POINT_LEN + 2 && buf[0] == 0x04 && buf[1] == FWC_P256_POINT_LEN &&
	    buf[2] == 0x04)
		point = buf + 2;
	else if (len == FWC_P256_POINT_LEN && buf[0] == 0x04)
		point = buf;
	if (point == NULL) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_DATA,
			    "CKA_EC_POINT is not an uncompressed P-256 point (%" G_GSIZE_FORMAT
			    " bytes)",
			    len);
		return NULL;
	}
	fwc_p256_point_to_spki(point, spki);
	return g_bytes_new(spki, sizeof(spki));
}

static gboolean
nusec_pkcs11_signer_sign_once(NuSecPkcs11Signer *self,
			      CK_SESSION_HANDLE session,
			      const guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
			      guint8 sig[NUSEC_SIGNER_SIG_LEN],
			      CK_RV *rv_out,
			      GError **error)
{
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_ULONG sig_len = NUSEC_SIGNER_SIG_LEN;
	CK_RV rv;

	rv = self->module->C_SignInit(session, &mech, self->key);
	*rv_out = rv;
	if (rv != CKR_OK) {
		nusec_pkcs11_set_error(error, rv, "C_SignInit(CKM_ECDSA) failed");
		return FALSE;
	}
	rv = self->module->C_Sign(session,
				  (CK_BYTE_PTR)digest,
				  NUSEC_SIGNER_DIGEST_LEN,
				  sig,
				  &sig_len);
	*rv_out = rv;
	if (rv != CKR_OK) {
		nusec_pkcs11_set_error(error, rv, "C_Sign failed");
		return FALSE;
	}
	if (sig_len != NUSEC_SIGNER_SIG_LEN) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_PKCS11,
			    "C_Sign returned %lu bytes, not a P-256 r||s",
			    (gulong)sig_len);
		return FALSE;
	}
	return TRUE;
}

static gboolean
nusec_pkcs11_signer_sign_digest(NuSecSigner *signer,
				const guint8 digest[NUSEC_SIGNER_DIGEST_LEN],
				guint8 sig[NUSEC_SIGNER_SIG_LEN],
				GError **error)
{
	NuSecPkcs11Signer *self = NUSEC_PKCS11_SIGNER(signer);

	/* a second attempt with a fresh session when the token dropped the first one (logout,
	 * closed or invalid session) */
	for (guint attempt = 0;; attempt++) {
		g_autoptr(GError) error_local = NULL;
		CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
		CK_RV rv = CKR_OK;

		if (!nusec_pkcs11_signer_session_acquire(self, &session, error))
			return FALSE;
		if (nusec_pkcs11_signer_sign_once(self, session, digest, sig, &rv, &error_local)) {
			nusec_pkcs11_signer_session_release(self, session);
			return TRUE;
		}
		/* a failed C_Sign ends the operation, but do not reuse a session in doubt */
		self->module->C_CloseSession(session);
		if (attempt == 0 && (rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
				     rv == CKR_USER_NOT_LOGGED_IN))
			continue;
		g_propagate_prefixed_error(error,
					   g_steal_pointer(&error_local),
					   "signing with %s: ",
					   self->display_uri);
		return FALSE;
	}
}

static GBytes *
nusec_pkcs11_signer_get_public_key(NuSecSigner *signer, GError **error)
{
	NuSecPkcs11Signer *self = NUSEC_PKCS11_SIGNER(signer);
	return g_bytes_ref(self->spki);
}

/* checks that the private key is an EC P-256 key */
static gboolean
nusec_pkcs11_check_private_key(CK_FUNCTION_LIST *module,
			       CK_SESSION_HANDLE session,
			       CK_OBJECT_HANDLE key,
			       const gchar *display,
			       GError **error)
{
	CK_KEY_TYPE key_type = (CK_KEY_TYPE)-1;
	CK_ATTRIBUTE attr = {CKA_KEY_TYPE, &key_type, sizeof(key_type)};
	g_autoptr(GBytes) params = NULL;
	CK_RV rv = module->C_GetAttributeValue(session, key, &attr, 1);

	if (rv != CKR_OK) {
		nusec_pkcs11_set_error(error, rv, "cannot read CKA_KEY_TYPE");
		return FALSE;
	}
	if (key_type != CKK_EC) {
		g_set_error(
		    error,
		    NUSEC_ERROR,
		    NUSEC_ERROR_NOT_SUPPORTED,
		    "%s is not an EC key (CKA_KEY_TYPE 0x%lx): only ECDSA P-256 is supported",
		    display,
		    (gulong)key_type);
		return FALSE;
	}
	params = nusec_pkcs11_get_attribute(module,
					    session,
					    key,
					    CKA_EC_PARAMS,
					    256,
					    "CKA_EC_PARAMS",
					    error);
	if (params == NULL)
		return FALSE;
	if (g_bytes_get_size(params) != sizeof(nusec_pkcs11_p256_params) ||
	    memcmp(g_bytes_get_data(params, NULL),
		   nusec_pkcs11_p256_params,
		   sizeof(nusec_pkcs11_p256_params)) != 0) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_NOT_SUPPORTED,
			    "%s is not on curve P-256: only ECDSA P-256 is supported",
			    display);
		return FALSE;
	}
	return TRUE;
}

/* the public key object of the pair: same CKA_ID, or the same CKA_LABEL when the id is empty */
static gboolean
nusec_pkcs11_find_public_key(CK_FUNCTION_LIST *module,
			     CK_SESSION_HANDLE session,
			     CK_OBJECT_HANDLE key,
			     const gchar *display,
			     CK_OBJECT_HANDLE *pub,
			     GError **error)
{
	CK_OBJECT_CLASS klass = CKO_PUBLIC_KEY;
	CK_KEY_TYPE key_type = CKK_EC;
	CK_ATTRIBUTE tmpl[3] = {{CKA_CLASS, &klass, sizeof(klass)},
				{CKA_KEY_TYPE, &key_type, sizeof(key_type)}};
	g_autoptr(GBytes) id = NULL;
	g_autoptr(GBytes) label = NULL;
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0;

	id = nusec_pkcs11_get_attribute(module, session, key, CKA_ID, 1024, "CKA_ID", error);
	if (id == NULL)
		return FALSE;
	if (g_bytes_get_size(id) > 0) {
		tmpl[2].type = CKA_ID;
		tmpl[2].pValue = (gpointer)g_bytes_get_data(id, NULL);
		tmpl[2].ulValueLen = g_bytes_get_size(id);
	} else {
		label = nusec_pkcs11_get_attribute(module,
						   session,
						   key,
						   CKA_LABEL,
						   1024,
						   "CKA_LABEL",
						   error);
		if (label == NULL)
			return FALSE;
		if (g_bytes_get_size(label) == 0) {
			g_set_error(
			    error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_NOT_FOUND,
			    "%s has neither CKA_ID nor CKA_LABEL: cannot find its public key",
			    display);
			return FALSE;
		}
		tmpl[2].type = CKA_LABEL;
		tmpl[2].pValue = (gpointer)g_bytes_get_data(label, NULL);
		tmpl[2].ulValueLen = g_bytes_get_size(label);
	}
	if (!nusec_pkcs11_find(module, session, tmpl, G_N_ELEMENTS(tmpl), found, &n, error))
		return FALSE;
	if (n == 0) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_NOT_FOUND,
			    "no public key object with the CKA_%s of %s",
			    g_bytes_get_size(id) > 0 ? "ID" : "LABEL",
			    display);
		return FALSE;
	}
	if (n > 1) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_DATA,
			    "several public key objects share the CKA_%s of %s",
			    g_bytes_get_size(id) > 0 ? "ID" : "LABEL",
			    display);
		return FALSE;
	}
	*pub = found[0];
	return TRUE;
}

/* sets key, spki, and proves that the two halves belong together with one signature */
static gboolean
nusec_pkcs11_signer_set_key(NuSecPkcs11Signer *self,
			    CK_SESSION_HANDLE session,
			    CK_OBJECT_HANDLE key,
			    CK_OBJECT_HANDLE pub,
			    GError **error)
{
	static const gchar probe[] = "NuSEC PKCS#11 key pair check";
	guint8 digest[NUSEC_SIGNER_DIGEST_LEN];
	guint8 sig[NUSEC_SIGNER_SIG_LEN];
	g_autoptr(GError) error_local = NULL;
	CK_RV rv = CKR_OK;

	if (!nusec_pkcs11_check_private_key(self->module, session, key, self->display_uri, error))
		return FALSE;
	if (pub == CK_INVALID_HANDLE && !nusec_pkcs11_find_public_key(self->module,
								      session,
								      key,
								      self->display_uri,
								      &pub,
								      error))
		return FALSE;
	self->spki = nusec_pkcs11_public_key_spki(self->module, session, pub, error);
	if (self->spki == NULL)
		return FALSE;
	self->key = key;

	SHA256((const guint8 *)probe, sizeof(probe) - 1, digest);
	if (!nusec_pkcs11_signer_sign_once(self, session, digest, sig, &rv, error)) {
		g_prefix_error(error, "%s: ", self->display_uri);
		return FALSE;
	}
	if (!nusec_ecdsa_verify_digest(self->spki, digest, sig, &error_local)) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_DATA,
			    "the public key object of %s does not match its private key: %s",
			    self->display_uri,
			    error_local->message);
		return FALSE;
	}
	return TRUE;
}

/* ---- GObject ---- */

static void
nusec_pkcs11_signer_iface_init(NuSecSignerInterface *iface)
{
	iface->sign_digest = nusec_pkcs11_signer_sign_digest;
	iface->get_public_key = nusec_pkcs11_signer_get_public_key;
}

static void
nusec_pkcs11_signer_finalize(GObject *object)
{
	NuSecPkcs11Signer *self = NUSEC_PKCS11_SIGNER(object);

	for (guint i = 0; i < self->idle->len; i++)
		self->module->C_CloseSession(g_array_index(self->idle, CK_SESSION_HANDLE, i));
	g_array_unref(self->idle);
	g_mutex_clear(&self->mutex);
	if (self->pin != NULL) {
		OPENSSL_cleanse(self->pin, strlen(self->pin));
		g_free(self->pin);
	}
	if (self->spki != NULL)
		g_bytes_unref(self->spki);
	g_free(self->token_label);
	g_free(self->display_uri);
	G_OBJECT_CLASS(nusec_pkcs11_signer_parent_class)->finalize(object);
}

static void
nusec_pkcs11_signer_class_init(NuSecPkcs11SignerClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = nusec_pkcs11_signer_finalize;
}

static void
nusec_pkcs11_signer_init(NuSecPkcs11Signer *self)
{
	g_mutex_init(&self->mutex);
	self->idle = g_array_new(FALSE, FALSE, sizeof(CK_SESSION_HANDLE));
	self->key = CK_INVALID_HANDLE;
}

/* parses the URI, loads the module, finds the token and opens a logged-in session, which
 * the caller puts into the pool (or closes) */
static NuSecPkcs11Signer *
nusec_pkcs11_signer_new_session(const gchar *text,
				gboolean rw,
				NuSecPkcs11Uri **uri_out,
				CK_SESSION_HANDLE *session,
				GError **error)
{
	g_autoptr(NuSecPkcs11Signer) self = NULL;
	g_autoptr(NuSecPkcs11Uri) uri = nusec_pkcs11_uri_parse(text, error);
	CK_FUNCTION_LIST *module;
	CK_TOKEN_INFO token_info;
	CK_SLOT_ID slot = 0;

	if (uri == NULL)
		return NULL;
	if (!nusec_pkcs11_uri_check_type(uri, error))
		return NULL;
	module = nusec_pkcs11_module_get(uri->module_path, error);
	if (module == NULL)
		return NULL;
	if (!nusec_pkcs11_find_slot(module, uri, &slot, &token_info, error))
		return NULL;

	self = g_object_new(NUSEC_TYPE_PKCS11_SIGNER, NULL);
	self->module = module;
	self->slot = slot;
	self->token_flags = token_info.flags;
	self->token_label = nusec_pkcs11_padded_string(token_info.label, sizeof(token_info.label));
	self->display_uri = g_strdup(uri->display);
	self->pin = g_strdup(uri->pin);
	if (!nusec_pkcs11_signer_open_session(self, rw, session, error))
		return NULL;
	*uri_out = g_steal_pointer(&uri);
	return g_steal_pointer(&self);
}

/* object= and id= of the URI, plus the class, as a search template (at most 3 entries) */
static CK_ULONG
nusec_pkcs11_key_template(NuSecPkcs11Uri *uri, CK_OBJECT_CLASS *klass, CK_ATTRIBUTE tmpl[3])
{
	CK_ATTRIBUTE *label = p11_kit_uri_get_attribute(uri->uri, CKA_LABEL);
	CK_ATTRIBUTE *id = p11_kit_uri_get_attribute(uri->uri, CKA_ID);
	CK_ULONG n = 0;

	*klass = CKO_PRIVATE_KEY;
	tmpl[n++] = (CK_ATTRIBUTE){CKA_CLASS, klass, sizeof(*klass)};
	if (label != NULL)
		tmpl[n++] = *label;
	if (id != NULL)
		tmpl[n++] = *id;
	return n;
}

NuSecSigner *
nusec_pkcs11_signer_new_from_uri(const gchar *uri, GError **error)
{
	g_autoptr(NuSecPkcs11Signer) self = NULL;
	g_autoptr(NuSecPkcs11Uri) parsed = NULL;
	CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
	CK_OBJECT_CLASS klass;
	CK_ATTRIBUTE tmpl[3];
	CK_ULONG n_tmpl;
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0;

	g_return_val_if_fail(uri != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	self = nusec_pkcs11_signer_new_session(uri, FALSE, &parsed, &session, error);
	if (self == NULL)
		return NULL;
	/* from here on the session belongs to the pool, closed on finalize */
	g_array_append_val(self->idle, session);

	n_tmpl = nusec_pkcs11_key_template(parsed, &klass, tmpl);
	if (!nusec_pkcs11_find(self->module, session, tmpl, n_tmpl, found, &n, error))
		return NULL;
	if (n == 0) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_NOT_FOUND,
			    "no private key matches %s on token '%s'",
			    self->display_uri,
			    self->token_label);
		return NULL;
	}
	if (n > 1) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "several private keys match %s on token '%s': name one with object= "
			    "or id=",
			    self->display_uri,
			    self->token_label);
		return NULL;
	}
	if (!nusec_pkcs11_signer_set_key(self, session, found[0], CK_INVALID_HANDLE, error))
		return NULL;
	return NUSEC_SIGNER(g_steal_pointer(&self));
}

NuSecSigner *
nusec_pkcs11_signer_generate(const gchar *uri, GError **error)
{
	g_autoptr(NuSecPkcs11Signer) self = NULL;
	g_autoptr(NuSecPkcs11Uri) parsed = NULL;
	CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
	CK_ATTRIBUTE *label;
	CK_ATTRIBUTE *id_attr;
	guint8 id_buf[NUSEC_PKCS11_ID_LEN];
	CK_ATTRIBUTE id;
	CK_OBJECT_CLASS klass = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[2];
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0;
	CK_BBOOL yes = CK_TRUE;
	CK_BBOOL no = CK_FALSE;
	CK_KEY_TYPE key_type = CKK_EC;
	CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE;
	CK_RV rv;

	g_return_val_if_fail(uri != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	self = nusec_pkcs11_signer_new_session(uri, TRUE, &parsed, &session, error);
	if (self == NULL)
		return NULL;
	g_array_append_val(self->idle, session);

	label = p11_kit_uri_get_attribute(parsed->uri, CKA_LABEL);
	if (label == NULL || label->ulValueLen == 0) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "%s: a new key needs a label (object=)",
			    self->display_uri);
		return NULL;
	}
	id_attr = p11_kit_uri_get_attribute(parsed->uri, CKA_ID);
	if (id_attr != NULL && id_attr->ulValueLen == 0) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "%s: id= must not be empty",
			    self->display_uri);
		return NULL;
	}

	/* refuse to add a second key under the same label or id */
	tmpl[0] = (CK_ATTRIBUTE){CKA_CLASS, &klass, sizeof(klass)};
	tmpl[1] = *label;
	if (!nusec_pkcs11_find(self->module, session, tmpl, 2, found, &n, error))
		return NULL;
	if (n > 0) {
		g_set_error(error,
			    NUSEC_ERROR,
			    NUSEC_ERROR_INVALID_ARGUMENT,
			    "a private key labelled '%.*s' already exists on token '%s'",
			    (int)label->ulValueLen,
			    (const gchar *)label->pValue,
			    self->token_label);
		return NULL;
	}
	if (id_attr != NULL) {
		tmpl[1] = *id_attr;
		if (!nusec_pkcs11_find(self->module, session, tmpl, 2, found, &n, error))
			return NULL;
		if (n > 0) {
			g_set_error(error,
				    NUSEC_ERROR,
				    NUSEC_ERROR_INVALID_ARGUMENT,
				    "a private key with the id of %s already exists on token '%s'",
				    self->display_uri,
				    self->token_label);
			return NULL;
		}
		id = *id_attr;
	} else {
		if (RAND_bytes(id_buf, sizeof(id_buf)) != 1) {
			nusec_error_set_openssl(error, "cannot draw a random key id");
			return NULL;
		}
		id = (CK_ATTRIBUTE){CKA_ID, id_buf, sizeof(id_buf)};
	}

	{
		CK_ATTRIBUTE pub_tmpl[] = {
		    {CKA_KEY_TYPE, &key_type, sizeof(key_type)},
		    {CKA_TOKEN, &yes, sizeof(yes)},
		    {CKA_PRIVATE, &no, sizeof(no)},
		    {CKA_VERIFY, &yes, sizeof(yes)},
		    {CKA_EC_PARAMS,
		     (gpointer)nusec_pkcs11_p256_params,
		     sizeof(nusec_pkcs11_p256_params)},
		    {CKA_LABEL, label->pValue, label->ulValueLen},
		    {CKA_ID, id.pValue, id.ulValueLen},
		};
		CK_ATTRIBUTE priv_tmpl[] = {
		    {CKA_KEY_TYPE, &key_type, sizeof(key_type)},
		    {CKA_TOKEN, &yes, sizeof(yes)},
		    {CKA_PRIVATE, &yes, sizeof(yes)},
		    {CKA_SENSITIVE, &yes, sizeof(yes)},
		    {CKA_EXTRACTABLE, &no, sizeof(no)},
		    {CKA_SIGN, &yes, sizeof(yes)},
		    {CKA_DERIVE, &no, sizeof(no)},
		    {CKA_LABEL, label->pValue, label->ulValueLen},
		    {CKA_ID, id.pValue, id.ulValueLen},
		};
		rv = self->module->C_GenerateKeyPair(session,
						     &mech,
						     pub_tmpl,
						     G_N_ELEMENTS(pub_tmpl),
						     priv_tmpl,
						     G_N_ELEMENTS(priv_tmpl),
						     &pub,
						     &priv);
	}
	if (rv != CKR_OK) {
		g_autofree gchar *what =
		    g_strdup_printf("cannot generate a P-256 key pair for %s", self->display_uri);
		nusec_pkcs11_set_error(error, rv, what);
		return NULL;
	}
	if (!nusec_pkcs11_signer_set_key(self, session, priv, pub, error)) {
		/* do not leave a key pair behind that nobody can use */
		self->module->C_DestroyObject(session, priv);
		self->module->C_DestroyObject(session, pub);
		return NULL;
	}
	return NUSEC_SIGNER(g_steal_pointer(&self));
}
