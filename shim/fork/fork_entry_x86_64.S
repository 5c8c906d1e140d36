/* The core's fork() and _Fork() entries, x86-64.

   Hazards, and how each is handled:
   - The child of clone(CLONE_VM | CLONE_VFORK) runs on the parent's stack
     from the same stack pointer: everything below the caller's frame,
     including any frame of ours, is overwritten before the parent resumes.
     So, as in glibc's vfork, the return address is popped into a register
     (%r9: the clone system call takes five arguments and preserves it)
     before the syscall and pushed back after it, in the child and in the
     parent alike; the parent then calls resume with a fresh frame.
   - The decisions (site, stack snapshot, signals) run in C++ before the
     clone, from forkless_fork_prepare, while this entry has a normal frame
     with CFI, so the unwinder can walk from prepare to fork's caller.
   - The caller's own frames may be changed by the child too (slots the
     compiler reuses in the branch it thinks never returns): prepare has taken
     a copy and resume puts it back before anything else.
   - No red zone is in use: the caller made a call, so nothing it keeps lies
     below its stack pointer.
   The front library's fork and _Fork jump here (front_entry_x86_64.S) with
   the program's return address on the stack, as if called directly.
   Other architectures use fork_entry_generic.cpp (native fork only).  */

#if defined(__x86_64__)

#define CLONE_VM_VFORK_SIGCHLD 0x4111 /* CLONE_VM 0x100 | CLONE_VFORK 0x4000 | SIGCHLD 17 */
#define SYSCALL_CLONE 56

        .text

/* forkless_fork_common: %edx = entry kind; (%rsp) = caller's return address. */
        .p2align 4
        .type   forkless_fork_common, @function
        .hidden forkless_fork_common
forkless_fork_common:
        .cfi_startproc
        mov     (%rsp), %rdi            /* return address */
        mov     %rsp, %rsi              /* entry stack pointer */
        push    %rdx                    /* keep the kind; aligns the stack to 16 */
        .cfi_adjust_cfa_offset 8
        call    forkless_fork_prepare
        pop     %rdi                    /* kind: first argument of the native path */
        .cfi_adjust_cfa_offset -8
        cmp     $1, %eax                /* fork_prepared_emulate */
        je      2f
        mov     %eax, %esi              /* plain or native: second argument */
        jmp     forkless_fork_native    /* tail call: an ordinary fork */
2:

        pop     %r9                     /* return address, held across the clone */
        .cfi_adjust_cfa_offset -8
        .cfi_register %rip, %r9
        mov     $CLONE_VM_VFORK_SIGCHLD, %edi
        xor     %esi, %esi              /* same stack pointer */
        xor     %edx, %edx
        xor     %r10d, %r10d
        xor     %r8d, %r8d
        mov     $SYSCALL_CLONE, %eax
        syscall
        push    %r9
        .cfi_adjust_cfa_offset 8
        .cfi_offset %rip, -8
        test    %rax, %rax
        jnz     1f
        ret                             /* child: fork() returned 0 */
1:
        mov     %rax, %rdi              /* parent: pid, or -errno */
        sub     $8, %rsp
        .cfi_adjust_cfa_offset 8
        call    forkless_fork_resume
        add     $8, %rsp
        .cfi_adjust_cfa_offset -8
        ret
        .cfi_endproc
        .size   forkless_fork_common, .-forkless_fork_common

#define FORK_ENTRY(name, kind)                  \
        .p2align 4;                             \
        .globl  name;                           \
        .type   name, @function;                \
name:                                           \
        .cfi_startproc;                         \
        mov     $kind, %edx;                    \
        jmp     forkless_fork_common;           \
        .cfi_endproc;                           \
        .size   name, .-name

FORK_ENTRY(fork, 0)
FORK_ENTRY(_Fork, 1)

#endif

        .section .note.GNU-stack, "", @progbits
