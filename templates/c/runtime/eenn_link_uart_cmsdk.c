/*
 * eenn_link_uart_cmsdk.c - the link's hooks (eenn_link.h) on the CMSDK APB UART of Arm's MPS2 and MPS3 boards
 * (and of many chips built from the Cortex-M System Design Kit), polled: no interrupt is used. The UART's address,
 * its clock and the line rate come from eenn_link_config.h; timeouts are measured with the platform's tick counter
 * (eenn_platform.h), which must be running (eenn_counter_start) before eenn_link_init. The ticks spent waiting for a
 * byte go to eenn_link_wait_ticks.
 */
#include <stdint.h>

#include "eenn_link.h"
#include "eenn_link_config.h"
#include "eenn_platform.h"

/* Registers (Arm Cortex-M System Design Kit Technical Reference Manual, APB UART). */
#define UART_DATA (*(volatile uint32_t *)(EENN_LINK_UART_BASE + 0x000u))    /* byte received or to send */
#define UART_STATE (*(volatile uint32_t *)(EENN_LINK_UART_BASE + 0x004u))   /* buffer full and overrun flags */
#define UART_CTRL (*(volatile uint32_t *)(EENN_LINK_UART_BASE + 0x008u))    /* enables */
#define UART_BAUDDIV (*(volatile uint32_t *)(EENN_LINK_UART_BASE + 0x010u)) /* APB clocks per bit */

#define UART_STATE_TX_FULL (1u << 0)    /* the transmit buffer holds a byte not yet sent */
#define UART_STATE_RX_FULL (1u << 1)    /* a received byte waits in DATA */
#define UART_STATE_TX_OVERRUN (1u << 2) /* written while full; write 1 to clear */
#define UART_STATE_RX_OVERRUN (1u << 3) /* a byte arrived while one was waiting and was lost; write 1 to clear */
#define UART_CTRL_TX_ENABLE (1u << 0)
#define UART_CTRL_RX_ENABLE (1u << 1)

/* The smallest baud divider the UART accepts: it samples each bit 16 times. */
#define UART_MIN_BAUDDIV 16u

/* APB clocks per bit at the link's line rate. */
#define UART_BAUDDIV_VALUE (EENN_LINK_UART_CLOCK_HZ / EENN_LINK_BAUD)

typedef char eenn_link_baud_within_uart_range[(UART_BAUDDIV_VALUE >= UART_MIN_BAUDDIV) ? 1 : -1];

/* Milliseconds per second: the counter's ticks per millisecond are EENN_COUNTER_HZ / MS_PER_SECOND. */
#define MS_PER_SECOND 1000u

void eenn_link_init(void)
{
    UART_CTRL = 0u;
    UART_BAUDDIV = UART_BAUDDIV_VALUE;
    UART_STATE = UART_STATE_TX_OVERRUN | UART_STATE_RX_OVERRUN;
    UART_CTRL = UART_CTRL_TX_ENABLE | UART_CTRL_RX_ENABLE;
}

int32_t eenn_link_send(const uint8_t *data, uint32_t length)
{
    for (uint32_t i = 0u; i < length; i++) {
        while ((UART_STATE & UART_STATE_TX_FULL) != 0u) {
        }
        UART_DATA = data[i];
    }
    return EENN_LINK_OK;
}

int32_t eenn_link_recv(uint8_t *data, uint32_t length, uint32_t timeout_ms)
{
    const uint64_t timeout_ticks = (uint64_t)timeout_ms * (EENN_COUNTER_HZ / MS_PER_SECOND);
    for (uint32_t i = 0u; i < length; i++) {
        /*
         * Every byte takes the same path, so that the work outside the wait is the same whether the byte was
         * there or not: one counter read before the first look, the wait counted from it to the read after
         * the look that found the byte (0 when the first did).
         */
        const uint64_t start = eenn_counter_read();
        uint64_t now = start;
        uint32_t state = UART_STATE;
        while ((state & UART_STATE_RX_FULL) == 0u) {
            if (timeout_ms != EENN_LINK_WAIT_FOREVER && now - start >= timeout_ticks) {
                eenn_link_wait_ticks += now - start;
                return EENN_LINK_E_TIMEOUT;
            }
            state = UART_STATE;
            now = eenn_counter_read();
        }
        eenn_link_wait_ticks += now - start;
        if ((state & UART_STATE_RX_OVERRUN) != 0u) {
            /* A byte was lost: the frame's CRC or length will tell. */
            UART_STATE = UART_STATE_RX_OVERRUN;
        }
        data[i] = (uint8_t)UART_DATA;
    }
    return EENN_LINK_OK;
}
