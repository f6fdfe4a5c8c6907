/*
 * eenn_stm32f4.c - the STM32F405/407's own start-up, beside eenn_startup.c's for any Cortex-M: the 82 interrupt
 * vectors that follow the core's 16 (each to Default_Handler: the firmware enables no interrupt of the chip), and
 * eenn_board_init(), which Reset_Handler calls before .data is copied: the core clock to 168 MHz from the internal
 * 16 MHz oscillator (HSI) through the PLL, AHB at 168 MHz, APB2 at 84 MHz, APB1 at 42 MHz, and the console's USART1
 * on pins PA9 (TX) and PA10 (RX). Register names and values from RM0090 (STM32F405/415, F407/417 reference manual).
 *
 * No crystal is assumed, so the same image runs on any STM32F405/407 board. QEMU's model of the chip has no clock
 * controller (its registers read 0 and ignore writes) and runs at 168 MHz whatever is asked: the PLL never reports
 * itself locked there, and the start-up stays on the oscillator it has after a bounded wait.
 */
#include <stdint.h>

#include "eenn_board_config.h"
#include "eenn_cortexm.h"

/* ---------------------------------------------------------------- interrupt vectors */

/* Interrupts of the STM32F405/407: WWDG (0) to FPU (81), RM0090 table 61. */
#define STM32F4_IRQS 82

void Default_Handler(void);

/* Placed right after eenn_startup.c's 16 system vectors by the linker script (section .vectors_irq). */
__attribute__((section(".vectors_irq"), used)) static void (*const eenn_stm32f4_irq_vectors[STM32F4_IRQS])(void) = {
    [0 ... STM32F4_IRQS - 1] = Default_Handler,
};

/* ---------------------------------------------------------------- registers */

#define RCC_BASE 0x40023800u
#define RCC_CR (*(volatile uint32_t *)(RCC_BASE + 0x00u))      /* clock control */
#define RCC_PLLCFGR (*(volatile uint32_t *)(RCC_BASE + 0x04u)) /* PLL configuration */
#define RCC_CFGR (*(volatile uint32_t *)(RCC_BASE + 0x08u))    /* clock configuration */
#define RCC_AHB1ENR (*(volatile uint32_t *)(RCC_BASE + 0x30u)) /* AHB1 peripheral clock enable */
#define RCC_APB1ENR (*(volatile uint32_t *)(RCC_BASE + 0x40u)) /* APB1 peripheral clock enable */
#define RCC_APB2ENR (*(volatile uint32_t *)(RCC_BASE + 0x44u)) /* APB2 peripheral clock enable */

#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_CFGR_SW_PLL 2u          /* system clock switch: the PLL */
#define RCC_CFGR_SWS_MASK (3u << 2) /* system clock switch status */
#define RCC_CFGR_SWS_PLL (2u << 2)
#define RCC_CFGR_PPRE1_DIV4 (5u << 10) /* APB1 = AHB / 4: 42 MHz, its maximum */
#define RCC_CFGR_PPRE2_DIV2 (4u << 13) /* APB2 = AHB / 2: 84 MHz, its maximum */
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_APB1ENR_PWREN (1u << 28)
#define RCC_APB2ENR_USART1EN (1u << 4)

/* PLL from the 16 MHz HSI: /8 = 2 MHz into the VCO (its best input, 1 to 2 MHz), x168 = 336 MHz, /2 = 168 MHz
   for the core, /7 = 48 MHz for USB. PLLP's field holds (P / 2) - 1; PLLSRC 0 is the HSI. */
#define PLL_M 8u
#define PLL_N 168u
#define PLL_P_FIELD 0u
#define PLL_Q 7u
#define RCC_PLLCFGR_VALUE (PLL_M | (PLL_N << 6) | (PLL_P_FIELD << 16) | (PLL_Q << 24))

#define PWR_CR (*(volatile uint32_t *)0x40007000u)
#define PWR_CR_VOS (1u << 14) /* regulator scale 1: needed above 144 MHz */

#define FLASH_ACR (*(volatile uint32_t *)0x40023C00u)
#define FLASH_ACR_LATENCY_5WS 5u /* 150 to 168 MHz at 2.7 to 3.6 V (RM0090 table 10) */
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

#define GPIOA_BASE 0x40020000u
#define GPIOA_MODER (*(volatile uint32_t *)(GPIOA_BASE + 0x00u)) /* 2 bits per pin: 10 = alternate function */
#define GPIOA_AFRH (*(volatile uint32_t *)(GPIOA_BASE + 0x24u))  /* 4 bits per pin, pins 8 to 15 */
#define GPIO_MODE_MASK 3u
#define GPIO_MODE_ALTERNATE 2u
#define GPIO_AF_MASK 0xFu
#define GPIO_AF_USART1 7u
#define USART1_TX_PIN 9u  /* PA9 */
#define USART1_RX_PIN 10u /* PA10 */
#define GPIO_AFRH_FIRST_PIN 8u

/* The one USART this start-up routes to pins, when the target has a console (eenn_board_config.h). */
#define USART1_BASE 0x40011000u
#if defined(EENN_CONSOLE_USART_BASE) && EENN_CONSOLE_USART_BASE != USART1_BASE
#error "eenn_stm32f4.c routes USART1 (PA9, PA10) to the console: give the target's console that USART, or route yours here"
#endif

/* Polls of a ready flag before giving up: the PLL locks in well under 1 ms, these take several at 16 MHz. */
#define READY_POLLS 100000u

/* ---------------------------------------------------------------- start-up */

/** Wait for `(*reg & mask) == value`, at most READY_POLLS reads. Returns 1 when it came, 0 when it did not. */
static int wait_for(const volatile uint32_t *reg, uint32_t mask, uint32_t value)
{
    for (uint32_t poll = 0u; poll < READY_POLLS; poll++) {
        if ((*reg & mask) == value) {
            return 1;
        }
    }
    return 0;
}

/** Run the core from the PLL at 168 MHz; stays on the HSI (16 MHz) when the PLL does not lock. */
static void clocks_to_168_mhz(void)
{
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    PWR_CR |= PWR_CR_VOS;
    /* More wait states before the clock rises; with them the caches and prefetch keep flash from stalling the core. */
    FLASH_ACR = FLASH_ACR_LATENCY_5WS | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;

    RCC_PLLCFGR = RCC_PLLCFGR_VALUE;
    RCC_CR |= RCC_CR_PLLON;
    if (!wait_for(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) {
        return;
    }
    RCC_CFGR = RCC_CFGR_PPRE1_DIV4 | RCC_CFGR_PPRE2_DIV2 | RCC_CFGR_SW_PLL;
    (void)wait_for(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL);
}

#if defined(EENN_CONSOLE_USART_BASE)
/** Clock USART1 and give it PA9 and PA10 (alternate function 7). */
static void console_pins(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOAEN;
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    const uint32_t tx_afr = (USART1_TX_PIN - GPIO_AFRH_FIRST_PIN) * 4u;
    const uint32_t rx_afr = (USART1_RX_PIN - GPIO_AFRH_FIRST_PIN) * 4u;
    GPIOA_AFRH = (GPIOA_AFRH & ~((GPIO_AF_MASK << tx_afr) | (GPIO_AF_MASK << rx_afr))) | (GPIO_AF_USART1 << tx_afr) |
                 (GPIO_AF_USART1 << rx_afr);
    GPIOA_MODER = (GPIOA_MODER & ~((GPIO_MODE_MASK << (USART1_TX_PIN * 2u)) | (GPIO_MODE_MASK << (USART1_RX_PIN * 2u)))) |
                  (GPIO_MODE_ALTERNATE << (USART1_TX_PIN * 2u)) | (GPIO_MODE_ALTERNATE << (USART1_RX_PIN * 2u));
}
#endif

void eenn_board_init(void)
{
    clocks_to_168_mhz();
#if defined(EENN_CONSOLE_USART_BASE)
    console_pins();
#endif
}
