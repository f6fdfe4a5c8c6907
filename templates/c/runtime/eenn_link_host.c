/*
 * eenn_link_host.c - the link's hooks (eenn_link.h) for host builds: a TCP connection to 127.0.0.1 on the port in
 * the environment variable EENN_LINK_PORT, where a relay (or the other device) listens. POSIX sockets.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eenn_link.h"

/* The environment variable that gives the port. */
#define LINK_PORT_VARIABLE "EENN_LINK_PORT"
/* The highest TCP port number. */
#define MAX_PORT 65535L
/* poll()'s timeout that waits forever. */
#define POLL_FOREVER (-1)
/* The loopback address, 127.0.0.1. */
#define LOOPBACK_ADDRESS 0x7F000001u

/* The connected socket, or -1 when eenn_link_init could not connect. */
static int link_socket = -1;

void eenn_link_init(void)
{
    const char *text = getenv(LINK_PORT_VARIABLE);
    char *end = 0;
    const long port = text != 0 ? strtol(text, &end, 10) : 0;
    if (text == 0 || *text == '\0' || *end != '\0' || port <= 0 || port > MAX_PORT) {
        fprintf(stderr, "eenn: set " LINK_PORT_VARIABLE " to the TCP port of the link on 127.0.0.1\n");
        return;
    }
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "eenn: cannot create the link's socket: %s\n", strerror(errno));
        return;
    }
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(LOOPBACK_ADDRESS);
    if (connect(fd, (const struct sockaddr *)&address, sizeof address) != 0) {
        fprintf(stderr, "eenn: cannot connect the link to 127.0.0.1:%ld: %s\n", port, strerror(errno));
        close(fd);
        return;
    }
    /* Frames are written in three pieces: send each at once instead of waiting to fill a segment. */
    const int on = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    link_socket = fd;
}

int32_t eenn_link_send(const uint8_t *data, uint32_t length)
{
    uint32_t done = 0u;
    while (done < length) {
        if (link_socket < 0) {
            return EENN_LINK_E_IO;
        }
        const ssize_t sent = send(link_socket, &data[done], length - done, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent <= 0) {
            return EENN_LINK_E_IO;
        }
        done += (uint32_t)sent;
    }
    return EENN_LINK_OK;
}

int32_t eenn_link_recv(uint8_t *data, uint32_t length, uint32_t timeout_ms)
{
    uint32_t done = 0u;
    while (done < length) {
        if (link_socket < 0) {
            return EENN_LINK_E_IO;
        }
        struct pollfd wait = { .fd = link_socket, .events = POLLIN, .revents = 0 };
        int wait_ms = POLL_FOREVER;
        if (timeout_ms != EENN_LINK_WAIT_FOREVER) {
            wait_ms = timeout_ms > (uint32_t)INT_MAX ? INT_MAX : (int)timeout_ms;
        }
        const int ready = poll(&wait, 1, wait_ms);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready == 0) {
            return EENN_LINK_E_TIMEOUT;
        }
        if (ready < 0) {
            return EENN_LINK_E_IO;
        }
        const ssize_t got = recv(link_socket, &data[done], length - done, 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return EENN_LINK_E_IO; /* the other end closed, or an error */
        }
        done += (uint32_t)got;
    }
    return EENN_LINK_OK;
}
