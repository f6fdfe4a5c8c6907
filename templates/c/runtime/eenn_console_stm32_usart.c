/*
 * eenn_console_stm32_usart.c - the firmware's text for people on an STM32 USART instead of semihosting: 8 data bits,
 * no parity, 1 stop bit at EENN_CONSOLE_BAUD, sent by polling (no interrupt). The chip's start-up (eenn_stm32f4.c)
 * clocks the USART and routes it to its pins; this file only programs the USART itself, whose registers are the same
 * on the STM32F1, F2 and F4 (RM0090, section 30.6). Under QEMU the USART is the machine's -serial port.
 */
#include <stdint.h>

#include "eenn_board_config.h"
#include "eenn_cortexm.h"

/* Registers. */
#define USART_SR (*(volatile uint32_t *)(EENN_CONSOLE_USART_BASE + 0x00u))  /* status */
#define USART_DR (*(volatile uint32_t *)(EENN_CONSOLE_USART_BASE + 0x04u))  /* data */
#define USART_BRR (*(volatile uint32_t *)(EENN_CONSOLE_USART_BASE + 0x08u)) /* baud rate divider */
#define USART_CR1 (*(volatile uint32_t *)(EENN_CONSOLE_USART_BASE + 0x0Cu)) /* control */

#define USART_SR_TXE (1u << 7)  /* the data register can take the next byte */
#define USART_CR1_TE (1u << 3)  /* transmitter enable */
#define USART_CR1_RE (1u << 2)  /* receiver enable */
#define USART_CR1_UE (1u << 13) /* USART enable */

/* Oversampling by 16: BRR holds clock / baud (mantissa and fraction of clock / (16 * baud)), rounded. */
#define USART_BRR_VALUE ((EENN_CONSOLE_CLOCK_HZ + EENN_CONSOLE_BAUD / 2u) / EENN_CONSOLE_BAUD)

/* The smallest divider oversampling by 16 accepts (RM0090, 30.3.4). */
#define USART_MIN_BRR 16u

typedef char eenn_console_baud_within_usart_range[(USART_BRR_VALUE >= USART_MIN_BRR) ? 1 : -1];

/** Send one byte once the data register is free. */
static void console_put(char byte)
{
    while ((USART_SR & USART_SR_TXE) == 0u) {
    }
    USART_DR = (uint8_t)byte;
}

void eenn_console_write(const char *text)
{
    /* The USART is set up on first use, whenever that is (a fault report may come before main()): the enable bit
       itself says whether it was. */
    if ((USART_CR1 & USART_CR1_UE) == 0u) {
        USART_BRR = USART_BRR_VALUE;
        USART_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE;
    }
    while (*text != '\0') {
        console_put(*text++);
    }
}
