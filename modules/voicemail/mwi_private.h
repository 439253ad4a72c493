/* mwi_private.h: message waiting's parts, private to modules/voicemail/: the subscription
 * (a dialog of RFC 6665 in which we are the notifier), its storage (mwi_store.c) and the
 * control command (mwi_cli.c). mwi.c owns every MwiSub. */
#pragma once

#include <crossbar/crossbar.h>
#include <crossbar/sip.h>

#include "mwi.h"
#include "mwi_proto.h"

/* One subscription to a box's summary: the dialog's state as RFC 3261 §12.1.1 keeps it at
 * the UAS that answered the SUBSCRIBE, and where its NOTIFYs go. */
typedef struct {
	char *key;           /* call_id '\n' local_tag '\n' remote_tag */
	char *box;           /* the box (the directory user who subscribed to it) */
	char *call_id;       /* the dialog's Call-ID */
	char *local_tag;     /* our tag (the To tag of our 200) */
	char *remote_tag;    /* the subscriber's From tag */
	char *local_uri;     /* the SUBSCRIBE's To URI: the From of our NOTIFYs */
	char *remote_uri;    /* the SUBSCRIBE's From URI: the To of our NOTIFYs */
	char *target;        /* the subscriber's Contact: our NOTIFYs' Request-URI */
	char *route;         /* the Record-Route values, in order, joined by ", " ("" when none) */
	char *event_id;      /* the Event's id parameter, "" when none */
	char *source;        /* the flow the SUBSCRIBE came on: "udp:127.0.0.1:5062" */
	guint64 conn_id;     /* its TCP/TLS connection, 0 after a restart */
	guint32 local_cseq;  /* the last CSeq of our NOTIFYs */
	guint32 remote_cseq; /* the last CSeq of the subscriber's SUBSCRIBEs */
	gint64 expires_at;   /* wall-clock seconds */
	/* in memory only */
	XbTimer *timer;   /* the expiry */
	guint inflight;   /* id of our NOTIFY waiting for its final response, 0: none */
	gboolean pending; /* the counts changed while one was in flight: send again after */
} MwiSub;

void mwi_sub_free(MwiSub *s);

/* mwi_store.c: the subscriptions in the core's database ("mwi" component). Writes join
 * the database's batch (xb_db_batch); vm_mwi_stop flushes it. */
gboolean mwi_store_open(GError **error);
/* Every subscription kept (MwiSub *, owned by the array), those expired removed first. */
GPtrArray *mwi_store_load(GError **error);
void mwi_store_put(const MwiSub *s);
void mwi_store_cseq(const MwiSub *s);
void mwi_store_delete(const MwiSub *s);

/* mwi.c: for the control command. Every live subscription (MwiSub *, not owned), by box
 * and expiry. */
GPtrArray *mwi_subscriptions(void);
void mwi_cli_register(XbModule *module);
