/* The front library's fork(), __fork(), _Fork(), vfork() and __vfork(),
   x86-64.

   fork and _Fork ask forkless_front_fork_target where to go (the core's
   entry, loading the core first if it may, or libc's) and jump there with
   the stack as the program left it: the core's entry sees the program's
   return address on top, as if called directly (its site matching and
   stack window depend on it).

   vfork is the program's own, and only marked: forkless_front_vfork_enter
   tells every interposer that the thread's memory is a vfork child's until
   forkless_front_vfork_leave, in the parent, clears it. The child of vfork
   runs on the parent's stack from the same stack pointer and overwrites
   everything below the caller's frame before the parent resumes, so, as in
   glibc's vfork, the return address is popped into %r9 (which the system
   call preserves) before the system call and pushed back after it, in the
   child and in the parent alike.  */

#if defined(__x86_64__)

#define SYSCALL_VFORK 58

        .text

#define FORK_ENTRY(name, underscore)            \
        .p2align 4;                             \
        .globl  name;                           \
        .type   name, @function;                \
name:                                           \
        .cfi_startproc;                         \
        sub     $8, %rsp;                       \
        .cfi_adjust_cfa_offset 8;               \
        mov     $underscore, %edi;              \
        call    forkless_front_fork_target;     \
        add     $8, %rsp;                       \
        .cfi_adjust_cfa_offset -8;              \
        jmp     *%rax;                          \
        .cfi_endproc;                           \
        .size   name, .-name

FORK_ENTRY(fork, 0)
FORK_ENTRY(_Fork, 1)

        .globl  __fork
        .type   __fork, @function
        .set    __fork, fork

        .p2align 4
        .globl  vfork
        .type   vfork, @function
vfork:
        .cfi_startproc
        sub     $8, %rsp                /* aligns the stack to 16 for the call */
        .cfi_adjust_cfa_offset 8
        call    forkless_front_vfork_enter
        add     $8, %rsp
        .cfi_adjust_cfa_offset -8
        pop     %r9                     /* return address, held across the system call */
        .cfi_adjust_cfa_offset -8
        .cfi_register %rip, %r9
        mov     $SYSCALL_VFORK, %eax
        syscall
        push    %r9
        .cfi_adjust_cfa_offset 8
        .cfi_offset %rip, -8
        test    %rax, %rax
        jnz     1f
        ret                             /* child: vfork() returned 0 */
1:
        mov     %rax, %rdi              /* parent: pid, or -errno */
        sub     $8, %rsp
        .cfi_adjust_cfa_offset 8
        call    forkless_front_vfork_leave
        add     $8, %rsp
        .cfi_adjust_cfa_offset -8
        ret
        .cfi_endproc
        .size   vfork, .-vfork

        .globl  __vfork
        .type   __vfork, @function
        .set    __vfork, vfork

#endif

        .section .note.GNU-stack, "", @progbits
