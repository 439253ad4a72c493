/* lossy_relay.c: a UDP relay for tests that drops chosen datagrams, so that retransmission
 * (RFC 3261 §17 Timers A/E and the server's resends) can be seen working on loopback.
 *
 *   lossy_relay LISTEN_PORT TARGET_PORT DROP_SPEC SECONDS
 *
 * Datagrams from a client to LISTEN_PORT go to 127.0.0.1:TARGET_PORT from one socket, and
 * the answers go back to the last client. DROP_SPEC is a comma list of "up:N" / "down:N":
 * drop the Nth datagram going up (client to target) or down (target to client), counting
 * from 1. It prints one line per datagram ("up 1 dropped", "down 2 passed") and exits after
 * SECONDS. Loopback only: it neither listens nor sends anywhere else. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DROPS 32

static int drops_up[MAX_DROPS], drops_down[MAX_DROPS], n_up, n_down;

static int dropped(const int *list, int n, int count)
{
	for (int i = 0; i < n; i++)
		if (list[i] == count)
			return 1;
	return 0;
}

static int udp_socket(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("lossy_relay: bind");
		exit(2);
	}
	return fd;
}

int main(int argc, char **argv)
{
	char buf[65536];
	struct sockaddr_in client = {0}, target = {.sin_family = AF_INET};
	int up = 0, down = 0, have_client = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: %s LISTEN_PORT TARGET_PORT DROP_SPEC SECONDS\n", argv[0]);
		return 2;
	}
	for (char *tok = strtok(argv[3], ","); tok; tok = strtok(NULL, ",")) {
		if (!strncmp(tok, "up:", 3) && n_up < MAX_DROPS)
			drops_up[n_up++] = atoi(tok + 3);
		else if (!strncmp(tok, "down:", 5) && n_down < MAX_DROPS)
			drops_down[n_down++] = atoi(tok + 5);
	}
	target.sin_port = htons(atoi(argv[2]));
	target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int front = udp_socket(atoi(argv[1])), back = udp_socket(0);
	time_t end = time(NULL) + atoi(argv[4]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	while (time(NULL) < end) {
		struct pollfd p[2] = {{front, POLLIN, 0}, {back, POLLIN, 0}};
		if (poll(p, 2, 200) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			socklen_t len = sizeof(client);
			ssize_t n =
			    recvfrom(front, buf, sizeof(buf), 0, (struct sockaddr *)&client, &len);
			if (n < 0)
				continue;
			have_client = 1;
			up++;
			int drop = dropped(drops_up, n_up, up);
			printf("up %d %s\n", up, drop ? "dropped" : "passed");
			if (!drop)
				sendto(back, buf, n, 0, (struct sockaddr *)&target, sizeof(target));
		}
		if (p[1].revents & POLLIN) {
			ssize_t n = recv(back, buf, sizeof(buf), 0);
			if (n < 0 || !have_client)
				continue;
			down++;
			int drop = dropped(drops_down, n_down, down);
			printf("down %d %s\n", down, drop ? "dropped" : "passed");
			if (!drop)
				sendto(front, buf, n, 0, (struct sockaddr *)&client,
				       sizeof(client));
		}
	}
	return 0;
}
