/* mockd - the bench's image API: every POST is answered after a delay with
 * one fixed body (the Gemini answer tests/mock_image_api.py writes with
 * MOCK_SAVE_FIXED). A thread a connection, keep-alive, on 127.0.0.1. It
 * spends next to no CPU, so the clients are what is measured: Python's
 * server took more than half of the two cores at 64 transfers in flight.
 *
 * usage: mockd BODYFILE PORTFILE DELAY_MS */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char *answer;
static size_t answer_len;
static long delay_ms;

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *
serve(void *arg)
{
	int fd = (int)(long)arg;
	char buf[65536], hdr[200];
	size_t have = 0;

	for (;;) {
		char *end, *cl;
		size_t head, body = 0;
		ssize_t r;
		int n;

		while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
			if (have == sizeof buf || (r = read(fd, buf + have, sizeof buf - have)) <= 0)
				goto out;
			have += (size_t)r;
		}
		head = (size_t)(end - buf) + 4;
		buf[head - 1] = '\0';
		if ((cl = strcasestr(buf, "content-length:")))
			body = strtoul(cl + 15, NULL, 10);
		/* the request body is read and dropped */
		if (have - head >= body) {
			memmove(buf, buf + head + body, have - head - body);
			have -= head + body;
		} else {
			for (size_t left = body - (have - head); left > 0; left -= (size_t)r)
				if ((r = read(fd, buf, left < sizeof buf ? left : sizeof buf)) <= 0)
					goto out;
			have = 0;
		}
		nanosleep(&(struct timespec){ delay_ms / 1000, delay_ms % 1000 * 1000000L }, NULL);
		n = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n", answer_len);
		if (write_all(fd, hdr, (size_t)n) || write_all(fd, answer, answer_len))
			goto out;
	}
out:
	close(fd);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a = { 0 };
	socklen_t alen = sizeof a;
	FILE *f;
	int s, one = 1;

	if (argc != 4)
		return 2;
	delay_ms = atol(argv[3]);
	if (!(f = fopen(argv[1], "rb")) || fseek(f, 0, SEEK_END) != 0)
		return 1;
	answer_len = (size_t)ftell(f);
	rewind(f);
	if (!(answer = malloc(answer_len)) || fread(answer, 1, answer_len, f) != answer_len)
		return 1;
	fclose(f);
	signal(SIGPIPE, SIG_IGN);
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 512) ||
	    getsockname(s, (struct sockaddr *)&a, &alen) || !(f = fopen(argv[2], "w")))
		return 1;
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	for (;;) {
		int c = accept(s, NULL, NULL);
		pthread_t t;

		if (c < 0)
			continue;
		if (pthread_create(&t, NULL, serve, (void *)(long)c) != 0)
			close(c);
		else
			pthread_detach(t);
	}
}
