/*
 * eenn_isa.h - what the compiler builds for, named once: the kernels and the Cortex-M runtime choose their code
 * paths with these macros (each 0 or 1), derived here from the compiler's predefined ones (Arm C Language
 * Extensions), and test nothing else. A host build gets 0 everywhere: portable C.
 */
#ifndef EENN_ISA_H
#define EENN_ISA_H

/* The DSP extension: SIMD on int16 pairs and bytes (SMLAD, SXTB16, SSUB8 / SEL), SMMULR, SSAT. Cortex-M4, M7,
   M33 and M55. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define EENN_HAS_DSP 1
#else
#define EENN_HAS_DSP 0
#endif

/* Helium, the M-profile vector extension, integer instructions at least (Cortex-M55). Where both are present the
   kernels take the MVE path before the DSP one. */
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define EENN_HAS_MVE 1
#else
#define EENN_HAS_MVE 0
#endif

/* Thumb-1 only: Armv6-M (Cortex-M0, M0+) and Armv8-M Baseline (Cortex-M23), which have no 32 x 32 -> 64-bit
   multiply, and where inline assembly may use only the low registers for most operands. */
#if defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB == 1
#define EENN_ARMV6M 1
#else
#define EENN_ARMV6M 0
#endif

/* Word loads and stores at any address (LDR / STR unaligned): every Cortex-M core but the Thumb-1 ones. */
#if defined(__ARM_FEATURE_UNALIGNED)
#define EENN_HAS_UNALIGNED 1
#else
#define EENN_HAS_UNALIGNED 0
#endif

/* A floating-point unit that the build uses (float ABI hard or softfp). */
#if defined(__ARM_FP)
#define EENN_HAS_FPU 1
#else
#define EENN_HAS_FPU 0
#endif

/* Armv7-M, v7E-M, v8-M Mainline and v8.1-M Mainline: the system control space has the configurable fault status
   register. */
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__) || \
    defined(__ARM_ARCH_8_1M_MAIN__)
#define EENN_ARM_MAINLINE 1
#else
#define EENN_ARM_MAINLINE 0
#endif

/* Armv8-M Mainline and v8.1-M Mainline: the stack limit registers (MSPLIM). */
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
#define EENN_ARMV8M_MAINLINE 1
#else
#define EENN_ARMV8M_MAINLINE 0
#endif

#endif /* EENN_ISA_H */
