/* dialog.h: mod_sip's dialog layer (RFC 3261 §12): dialog state made from the request and
 * responses that create it, the dialog part of requests sent within it, and the checks on
 * requests received within it. Pure logic: no sockets, no timers, no transactions; it never
 * sends anything and never answers on its own (it says which status the caller should send). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include <crossbar/sipmsg.h>

/* Reference counted. The destructor given at creation is called with user_data when the
 * last reference goes. */
typedef struct sip_dialog SipDialog;
/* Dialogs by dialog ID (Call-ID, local tag, remote tag); holds one reference to each. */
typedef struct sip_dialog_table SipDialogTable;

typedef enum {
	SIP_DIALOG_EARLY,
	SIP_DIALOG_CONFIRMED,
	SIP_DIALOG_TERMINATED,
} SipDialogState;

/* Errors (negative errnos) and what the caller answers a request with when it gets one
 * (sip_dialog_err_status):
 *   -ENOENT   no such dialog, or it is terminated          481 (§12.2.2)
 *   -ERANGE   remote CSeq lower than the remembered one    500 (§12.2.2)
 *   -EBADMSG  a header the dialog needs is missing or bad  400
 *   -EEXIST   a dialog with that ID is already in a table
 *   -EINVAL   the message cannot make or touch this dialog (not a request, no To tag ...) */
unsigned sip_dialog_err_status(int err);

/* §12.1.1: as UAS, from a dialog-creating request and the To tag we put in our response. The
 * dialog starts early; sip_dialog_confirm() when our 2xx goes out. Route set: Record-Route
 * in order; remote target: the request's Contact (required); remote CSeq: the request's;
 * local CSeq unset; secure when the Request-URI is sips. */
int sip_dialog_new_uas(SipDialog **dlgp, const struct sip_msg *req, const char *local_tag,
                       GDestroyNotify destroy, void *user_data);
/* §12.1.2: as UAC, from the request we sent and a 1xx (with a To tag: an early dialog) or a
 * 2xx (confirmed). Route set: the response's Record-Route reversed; remote target: its
 * Contact (required for a 2xx; a 1xx without one leaves the Request-URI); local CSeq: the
 * request's; remote CSeq unset. Each To tag of a forked request makes its own dialog. */
int sip_dialog_new_uac(SipDialog **dlgp, const struct sip_msg *req, const struct sip_msg *resp,
                       GDestroyNotify destroy, void *user_data);
SipDialog *sip_dialog_ref(SipDialog *dlg);
void sip_dialog_unref(SipDialog *dlg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SipDialog, sip_dialog_unref)

/* UAS: our 2xx to the creating request went out (early -> confirmed). */
void sip_dialog_confirm(SipDialog *dlg);
/* A BYE sent or received, a non-2xx final to the creating request, a 481/408 (§12.3). */
void sip_dialog_terminate(SipDialog *dlg);

/* §12.2.1.1: writes the request line and the dialog's headers (Route, From, To, Call-ID,
 * CSeq) of a request within the dialog into out; the caller adds Via, Max-Forwards,
 * Contact, the body and the end. CSeq is the local CSeq plus one (an unset local CSeq
 * starts at a random value below 2^31), except ACK, which repeats the last INVITE's.
 * Building a BYE terminates the dialog (§15.1.1). -ENOENT on a terminated dialog, except
 * for an ACK (a 2xx to our re-INVITE may cross our BYE). */
int sip_dialog_request(SipDialog *dlg, const char *method, GString *out);
/* §12.2.2: a request received within the dialog (the caller found it by lookup). Checks
 * and remembers the remote CSeq (-ERANGE: answer 500); a target refresh (INVITE, UPDATE)
 * with a Contact replaces the remote target; a BYE terminates the dialog. */
int sip_dialog_uas_request(SipDialog *dlg, const struct sip_msg *req);
/* §12.2.1.2, §13.2.2.4: a response received within the dialog (UAC). A 2xx to INVITE
 * confirms an early dialog and recomputes its route set; a 2xx to a target refresh
 * replaces the remote target; 481 and 408 terminate the dialog. */
int sip_dialog_uac_response(SipDialog *dlg, const struct sip_msg *resp);

SipDialogState sip_dialog_state(const SipDialog *dlg);
const char *sip_dialog_state_name(SipDialogState state);
bool sip_dialog_is_uas(const SipDialog *dlg);
bool sip_dialog_secure(const SipDialog *dlg);
/* Slices into the dialog's own strings, valid while it lives. */
void sip_dialog_id(const SipDialog *dlg, struct sip_dialog_id *id);
const char *sip_dialog_remote_target(const SipDialog *dlg);
const char *sip_dialog_local_uri(const SipDialog *dlg);
const char *sip_dialog_remote_uri(const SipDialog *dlg);
/* Each route as a whole header value ("<sip:p1.example.com;lr>"), in sending order. */
guint sip_dialog_route_count(const SipDialog *dlg);
const char *sip_dialog_route(const SipDialog *dlg, guint i);
/* false when unset. */
bool sip_dialog_local_cseq(const SipDialog *dlg, uint32_t *cseq);
bool sip_dialog_remote_cseq(const SipDialog *dlg, uint32_t *cseq);
void *sip_dialog_user_data(const SipDialog *dlg);

SipDialogTable *sip_dialog_table_new(void);
/* Drops the table's references; dialogs others still hold live on. */
void sip_dialog_table_free(SipDialogTable *tbl);
int sip_dialog_table_add(SipDialogTable *tbl, SipDialog *dlg);
void sip_dialog_table_remove(SipDialogTable *tbl, SipDialog *dlg);
guint sip_dialog_table_size(const SipDialogTable *tbl);
SipDialog *sip_dialog_table_lookup(SipDialogTable *tbl, const struct sip_dialog_id *id);
/* The dialog a received message belongs to (a request: we are its UAS; a response: its
 * UAC), borrowed into *dlgp; -ENOENT (answer 481) when there is none or it is terminated. */
int sip_dialog_table_match(SipDialogTable *tbl, const struct sip_msg *msg, SipDialog **dlgp);
/* §12.3: a non-2xx final response to a request outside a dialog ends the early dialogs its
 * provisional responses made: terminates and removes those of req's Call-ID and From tag.
 * Returns how many. */
guint sip_dialog_table_end_early(SipDialogTable *tbl, const struct sip_msg *req);
