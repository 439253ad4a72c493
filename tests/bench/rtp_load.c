/* rtp_load.c: the load of the media benchmark (tests/bench/bench_media.sh). N calls of
 * G.711 through an RTP relay on loopback, 50 packets a second each way, and what came out:
 * loss, RFC 3550 interarrival jitter and transit time. It only sends to 127.0.0.1.
 *
 *   rtp_load N PORTS_FILE TARGETS_FILE SECONDS [WARMUP_SECONDS [SERVER_PID]]
 *
 * It binds 2N UDP sockets on 127.0.0.1 (side A and side B of each call, ports the kernel
 * picks) and writes PORTS_FILE, one call a line: "PORT_A PORT_B". Then it waits (at most
 * 120 s) for TARGETS_FILE, written by the bench once the relay holds the calls, one call a
 * line: "RELAY_PORT_A RELAY_PORT_B", where side A sends to RELAY_PORT_A and gets side B's
 * packets from it (symmetric RTP), and the other way round. Each side sends a stream of
 * 172-byte RTP packets (12-byte header, 160 bytes of PCMU: 20 ms) with its own SSRC, a
 * sequence number and a timestamp advancing by 160; the streams' phases are spread evenly
 * over the 20 ms. The first WARMUP_SECONDS (default 1) of sending are not counted, then
 * SECONDS are; packets still on their way get 300 ms.
 *
 * Each packet carries the time it was handed to the kernel (CLOCK_REALTIME) and is stamped
 * by the kernel as it arrives (SO_TIMESTAMPNS), so the transit time is the relay's and the
 * kernel's, without this program's own scheduling. The jitter is RFC 3550 §6.4.1's J of
 * each received stream, over the transit times (what the relay adds to a perfectly regular
 * sender); the figure is its mean over the streams, and the worst stream's. It prints one
 * line of KEY=VALUE. gen_late_pct is the share of packets this program sent over 1 ms
 * behind their schedule (when large, the load generator is what limits); gen_cpu_pct its
 * own CPU (user + system, 100 = one core) over the measured seconds. With SERVER_PID,
 * server_cpu_pct is the relay's over the same seconds (utime + stime of /proc/PID/stat,
 * every thread) and server_us_per_pkt its CPU per packet relayed (received here). Two
 * threads: one sends on a timer, one receives (epoll, recvmmsg). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PACKET      172 /* RTP header + 20 ms of G.711 */
#define PTIME_NS    20000000LL
#define RX_BATCH    16
#define HIST_US     100000 /* transit histogram: 1 us buckets up to 100 ms */
#define DRAIN_NS    300000000LL
#define WAIT_TARGET 120

typedef struct {
	int fd;
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	/* receive side: the stream coming in on this socket */
	uint64_t received, misrouted;
	int64_t last_transit;
	double jitter; /* ns */
	int have_last;
} Stream;

static Stream *streams; /* 2N: 2k is call k's side A, 2k + 1 its side B */
static int nstreams;
static int64_t t_start, t_measure, t_end;              /* CLOCK_REALTIME ns */
static uint64_t sent_measured, send_errors, sent_late; /* late: over 1 ms behind schedule */
static int64_t late_max;
static uint64_t *hist;
static int64_t transit_max;
static volatile int sender_done;

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "rtp_load: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int udp_bound(uint16_t *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	int on = 1, fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		die("bind");
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0)
		die("SO_TIMESTAMPNS");
	*port = ntohs(sa.sin_port);
	return fd;
}

static void udp_connect(int fd, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("connect");
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Sends every stream's packets on schedule: stream s's packet i is due at
 * t_start + i * 20 ms + s * 20 ms / nstreams. It sleeps until the next packet is due
 * (within 50 us; at most 1 ms at a time) and sends what is due, late or not. */
static void *sender_main(void *arg)
{
	uint8_t pkt[PACKET];
	int64_t round = 0;
	int s = 0;

	(void)arg;
	memset(pkt, 0xff, sizeof pkt); /* PCMU silence */
	pkt[0] = 0x80;                 /* version 2 */
	pkt[1] = 0;                    /* PT 0: PCMU */
	for (;;) {
		int64_t due = t_start + round * PTIME_NS + (int64_t)s * PTIME_NS / nstreams;
		if (due >= t_end)
			break;
		int64_t now = now_ns(CLOCK_REALTIME);
		if (due > now + 50000) {
			struct timespec ts = {.tv_nsec = due - now < 1000000 ? due - now : 1000000};
			nanosleep(&ts, NULL);
			continue;
		}
		Stream *st = &streams[s];
		pkt[2] = st->seq >> 8, pkt[3] = st->seq;
		put32(pkt + 4, st->ts);
		put32(pkt + 8, st->ssrc);
		put32(pkt + 12, (uint32_t)s);
		int64_t t = now_ns(CLOCK_REALTIME);
		memcpy(pkt + 16, &t, sizeof t);
		pkt[24] = due >= t_measure;
		if (send(st->fd, pkt, sizeof pkt, MSG_DONTWAIT) != sizeof pkt)
			send_errors++;
		else if (pkt[24]) {
			sent_measured++;
			sent_late += t - due > 1000000;
			if (t - due > late_max)
				late_max = t - due;
		}
		st->seq++;
		st->ts += 160;
		if (++s == nstreams) {
			s = 0;
			round++;
		}
	}
	sender_done = 1;
	return NULL;
}

static void receive(int epfd)
{
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	uint8_t bufs[RX_BATCH][PACKET + 64];
	char ctl[RX_BATCH][64];
	struct epoll_event evs[256];
	int64_t stop_at = 0;

	for (;;) {
		if (sender_done && !stop_at)
			stop_at = now_ns(CLOCK_REALTIME) + DRAIN_NS;
		if (stop_at && now_ns(CLOCK_REALTIME) >= stop_at)
			return;
		int n = epoll_wait(epfd, evs, 256, 10);
		for (int e = 0; e < n; e++) {
			Stream *st = &streams[evs[e].data.u32];
			for (int i = 0; i < RX_BATCH; i++) {
				iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
				msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i],
				                                  .msg_iovlen = 1,
				                                  .msg_control = ctl[i],
				                                  .msg_controllen = sizeof ctl[i]};
			}
			int got = recvmmsg(st->fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
			for (int i = 0; i < got; i++) {
				const uint8_t *p = bufs[i];
				int64_t sent_at, rx = 0;
				if (msgs[i].msg_len != PACKET) {
					st->misrouted++;
					continue;
				}
				uint32_t from = get32(p + 12);
				if (from != (evs[e].data.u32 ^ 1u)) {
					st->misrouted++;
					continue;
				}
				memcpy(&sent_at, p + 16, sizeof sent_at);
				for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
				     c = CMSG_NXTHDR(&msgs[i].msg_hdr, c))
					if (c->cmsg_level == SOL_SOCKET &&
					    c->cmsg_type == SCM_TIMESTAMPNS) {
						struct timespec ts;
						memcpy(&ts, CMSG_DATA(c), sizeof ts);
						rx = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
					}
				if (!rx)
					rx = now_ns(CLOCK_REALTIME);
				if (!p[24])
					continue; /* sent in the warm-up */
				int64_t transit = rx - sent_at;
				st->received++;
				if (st->have_last) {
					int64_t d = transit - st->last_transit;
					st->jitter +=
					    ((double)(d < 0 ? -d : d) - st->jitter) / 16.0;
				}
				st->last_transit = transit;
				st->have_last = 1;
				if (transit > transit_max)
					transit_max = transit;
				int64_t us = transit / 1000;
				hist[us < 0 ? 0 : us >= HIST_US ? HIST_US - 1 : us]++;
			}
		}
	}
}

static double percentile(uint64_t total, double q)
{
	uint64_t want = (uint64_t)(total * q), acc = 0;
	for (int i = 0; i < HIST_US; i++) {
		acc += hist[i];
		if (acc > want)
			return i / 1000.0;
	}
	return HIST_US / 1000.0;
}

/* CPU seconds (user + system, every thread) of a process so far; 0 when it is gone. */
static double process_cpu(int pid)
{
	char path[64], buf[1024];
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')');
	/* from the state field on: utime and stime are the 12th and 13th */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static FILE *wait_for(const char *path)
{
	for (int i = 0; i < WAIT_TARGET * 20; i++) {
		FILE *f = fopen(path, "r");
		if (f)
			return f;
		usleep(50000);
	}
	fprintf(stderr, "rtp_load: no %s after %d s\n", path, WAIT_TARGET);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: rtp_load N PORTS_FILE TARGETS_FILE SECONDS "
		                "[WARMUP_SECONDS [SERVER_PID]]\n");
		return 2;
	}
	int ncalls = atoi(argv[1]), seconds = atoi(argv[4]);
	double warmup = argc > 5 ? atof(argv[5]) : 1.0;
	int server = argc > 6 ? atoi(argv[6]) : 0;
	if (ncalls < 1 || ncalls > 100000 || seconds < 1 || seconds > 3600 || warmup < 0) {
		fprintf(stderr, "rtp_load: N 1-100000, SECONDS 1-3600\n");
		return 2;
	}
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	nstreams = 2 * ncalls;
	streams = calloc(nstreams, sizeof *streams);
	hist = calloc(HIST_US, sizeof *hist);
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!streams || !hist || epfd < 0)
		die("setup");

	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
	FILE *pf = fopen(tmp, "w");
	if (!pf)
		die(tmp);
	srand((unsigned)now_ns(CLOCK_MONOTONIC));
	for (int s = 0; s < nstreams; s++) {
		uint16_t port;
		streams[s].fd = udp_bound(&port);
		streams[s].ssrc = (uint32_t)rand() ^ ((uint32_t)rand() << 16);
		streams[s].seq = (uint16_t)rand();
		streams[s].ts = (uint32_t)rand();
		fprintf(pf, s & 1 ? "%u\n" : "%u ", port);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)s};
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, streams[s].fd, &ev) < 0)
			die("epoll_ctl");
	}
	if (fclose(pf) || rename(tmp, argv[2]))
		die(argv[2]);

	FILE *tf = wait_for(argv[3]);
	for (int k = 0; k < ncalls; k++) {
		unsigned a, b;
		if (fscanf(tf, "%u %u", &a, &b) != 2 || !a || a > 65535 || !b || b > 65535) {
			fprintf(stderr, "rtp_load: %s: no ports for call %d\n", argv[3], k + 1);
			return 2;
		}
		udp_connect(streams[2 * k].fd, (uint16_t)a);
		udp_connect(streams[2 * k + 1].fd, (uint16_t)b);
	}
	fclose(tf);

	t_start = now_ns(CLOCK_REALTIME) + 20000000;
	t_measure = t_start + (int64_t)(warmup * 1e9);
	t_end = t_measure + (int64_t)seconds * 1000000000LL;
	pthread_t th;
	if (pthread_create(&th, NULL, sender_main, NULL))
		die("pthread_create");

	/* CPU over the measured seconds: from t_measure to the end of the drain. */
	struct rusage r0, r1;
	while (now_ns(CLOCK_REALTIME) < t_measure)
		usleep(1000);
	getrusage(RUSAGE_SELF, &r0);
	double s0 = server ? process_cpu(server) : 0;
	int64_t w0 = now_ns(CLOCK_MONOTONIC);
	receive(epfd);
	getrusage(RUSAGE_SELF, &r1);
	double s1 = server ? process_cpu(server) : 0;
	int64_t w1 = now_ns(CLOCK_MONOTONIC);
	pthread_join(th, NULL);

	uint64_t received = 0, misrouted = 0;
	double jsum = 0, jmax = 0;
	for (int s = 0; s < nstreams; s++) {
		received += streams[s].received;
		misrouted += streams[s].misrouted;
		jsum += streams[s].jitter;
		if (streams[s].jitter > jmax)
			jmax = streams[s].jitter;
	}
	double cpu = tv_s(r1.ru_utime) - tv_s(r0.ru_utime) + tv_s(r1.ru_stime) - tv_s(r0.ru_stime);
	double wall = (w1 - w0) / 1e9;
	uint64_t lost = received < sent_measured ? sent_measured - received : 0;
	double loss = sent_measured ? 100.0 * (double)lost / (double)sent_measured : 100.0;
	printf("calls=%d seconds=%d sent=%" PRIu64 " received=%" PRIu64 " loss_pct=%.4f "
	       "pps=%.0f jitter_ms=%.4f jitter_max_ms=%.4f delay_p50_ms=%.3f delay_p99_ms=%.3f "
	       "delay_max_ms=%.3f misrouted=%" PRIu64 " send_errors=%" PRIu64
	       " gen_late_pct=%.2f gen_late_max_ms=%.1f gen_cpu_pct=%.1f",
	       ncalls, seconds, sent_measured, received, loss, received / (double)seconds,
	       jsum / nstreams / 1e6, jmax / 1e6, percentile(received, 0.5),
	       percentile(received, 0.99), transit_max / 1e6, misrouted, send_errors,
	       sent_measured ? 100.0 * (double)sent_late / (double)sent_measured : 0,
	       late_max / 1e6, 100.0 * cpu / wall);
	if (server)
		printf(" server_cpu_pct=%.1f server_us_per_pkt=%.2f", 100.0 * (s1 - s0) / wall,
		       received ? (s1 - s0) * 1e6 / (double)received : 0.0);
	printf("\n");
	return 0;
}
