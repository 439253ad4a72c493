/* tests/bench/bench_sip_parse.c: microseconds per parse of a typical INVITE, REGISTER and
 * 200 OK by lib/sip's parser, next to libosip2 parsing the same bytes in the same run. A figure
 * to compare, not a test: it never fails on speed.
 *
 * Run:  make bench-sip            (needs libosip2's headers at configure time)
 *  or:  tests/bench/bench_sip_parse [ITERATIONS [RUNS]]    (defaults 20000 and 9)
 * Each figure is the median over RUNS of the mean time per parse across ITERATIONS parses;
 * a parse includes freeing the message. With XB_BENCH_SUMMARY set to a file, one line per
 * message is appended to it for `make bench`'s table (tests/bench/run-all.sh). */
#include <crossbar/sipmsg.h>

#include <osipparser2/osip_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRLF "\r\n"

static const char invite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0" CRLF
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bKnashds8;rport" CRLF
    "Max-Forwards: 70" CRLF "To: Bob <sip:bob@biloxi.example.com>" CRLF
    "From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774" CRLF
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com" CRLF "CSeq: 314159 INVITE" CRLF
    "Contact: <sip:alice@pc33.atlanta.example.com:5060;transport=udp>" CRLF
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, UPDATE" CRLF
    "Supported: replaces, timer, 100rel" CRLF "User-Agent: Example Phone 1.2.3" CRLF
    "Content-Type: application/sdp" CRLF "Content-Length: 196" CRLF CRLF "v=0" CRLF
    "o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com" CRLF "s=Session" CRLF
    "c=IN IP4 192.0.2.101" CRLF "t=0 0" CRLF "m=audio 49172 RTP/AVP 0 8 101" CRLF
    "a=rtpmap:0 PCMU/8000" CRLF "a=rtpmap:101 telephone-event/8000" CRLF "a=sendrecv" CRLF;

static const char reg[] =
    "REGISTER sip:registrar.biloxi.example.com SIP/2.0" CRLF
    "Via: SIP/2.0/UDP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7;rport" CRLF
    "Max-Forwards: 70" CRLF "To: Bob <sip:bob@biloxi.example.com>" CRLF
    "From: Bob <sip:bob@biloxi.example.com>;tag=456248" CRLF
    "Call-ID: 843817637684230@998sdasdh09" CRLF "CSeq: 1826 REGISTER" CRLF
    "Contact: <sip:bob@192.0.2.4:5060>;expires=3600" CRLF "Expires: 3600" CRLF
    "Authorization: Digest username=\"bob\", realm=\"biloxi.example.com\", "
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"sip:registrar.biloxi.example.com\", "
    "response=\"245f23415f11432b3434341c022\", algorithm=MD5, qop=auth, nc=00000001, "
    "cnonce=\"0a4f113b\"" CRLF "User-Agent: Example Phone 1.2.3" CRLF "Content-Length: 0" CRLF CRLF;

static const char ok200[] =
    "SIP/2.0 200 OK" CRLF
    "Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bK4b43c2ff8.1;received=192.0.2.3" CRLF
    "Via: SIP/2.0/UDP bigbox3.site3.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1;"
    "received=192.0.2.2" CRLF
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;received=192.0.2.1" CRLF
    "Record-Route: <sip:server10.biloxi.example.com;lr>, "
    "<sip:bigbox3.site3.atlanta.example.com;lr>" CRLF
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf" CRLF
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774" CRLF
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com" CRLF "CSeq: 314159 INVITE" CRLF
    "Contact: <sip:bob@192.0.2.4>" CRLF "Content-Length: 0" CRLF CRLF;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double run_ours(const char *m, size_t len, int iters)
{
	gint64 t0 = g_get_monotonic_time();

	for (int i = 0; i < iters; i++) {
		struct sip_msg *msg;
		struct sip_err err;
		if (sip_msg_parse(&msg, m, len, &err) != 0) {
			fprintf(stderr, "crossbar failed to parse: %s\n", err.reason);
			exit(1);
		}
		sip_msg_free(msg);
	}
	return (double)(g_get_monotonic_time() - t0) / iters;
}

static double run_osip(const char *m, size_t len, int iters)
{
	gint64 t0 = g_get_monotonic_time();

	for (int i = 0; i < iters; i++) {
		osip_message_t *sip;
		if (osip_message_init(&sip) != 0 || osip_message_parse(sip, m, len) != 0) {
			fprintf(stderr, "libosip2 failed to parse\n");
			exit(1);
		}
		osip_message_free(sip);
	}
	return (double)(g_get_monotonic_time() - t0) / iters;
}

/* A row of the `make bench` table: figure, crossbar's value, the peer, the peer's value. */
static void summary_row(FILE *f, const char *figure, double ours, double theirs)
{
	if (f)
		fprintf(f, "%s\t%.3f\tlibosip2\t%.3f\n", figure, ours, theirs);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		const char *msg;
	} cases[] = {{"INVITE", invite}, {"REGISTER", reg}, {"200 OK", ok200}};
	int iters = argc > 1 ? atoi(argv[1]) : 20000;
	int runs = argc > 2 ? atoi(argv[2]) : 9;
	double *a, *b;
	const char *summary = getenv("XB_BENCH_SUMMARY");
	FILE *sf;

	if (iters < 1 || runs < 1 || runs > 1000) {
		fprintf(stderr, "usage: %s [ITERATIONS [RUNS]]\n", argv[0]);
		return 2;
	}
	sf = summary && *summary ? fopen(summary, "a") : NULL;
	a = g_new(double, runs);
	b = g_new(double, runs);
	parser_init();
	printf("# microseconds per parse, median of %d runs of %d parses\n", runs, iters);
	printf("%-10s %10s %10s %8s\n", "message", "crossbar", "libosip2", "ratio");
	for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
		size_t len = strlen(cases[c].msg);
		run_ours(cases[c].msg, len, iters / 10 + 1); /* warm up */
		run_osip(cases[c].msg, len, iters / 10 + 1);
		for (int r = 0; r < runs; r++) {
			/* interleaved so that both see the same machine load */
			a[r] = run_ours(cases[c].msg, len, iters);
			b[r] = run_osip(cases[c].msg, len, iters);
		}
		double ma = median(a, runs), mb = median(b, runs);
		printf("%-10s %10.3f %10.3f %7.1fx\n", cases[c].name, ma, mb, mb / ma);
		g_autofree char *figure = g_strdup_printf("parse %s, us (lower)", cases[c].name);
		summary_row(sf, figure, ma, mb);
	}
	if (sf)
		fclose(sf);
	g_free(a);
	g_free(b);
	return 0;
}
