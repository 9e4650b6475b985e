/*
 * The x86-64 syscall table, its dispatcher and the compatibility table.
 *
 * The table is one list, SYSCALL_LIST below, read twice: once to declare a
 * weak reference to every handler sys_NAME, once to build the entries. A
 * weak reference that nobody defines is NULL at link time, so the table can
 * name every handler whether or not it has been written; dispatch then
 * returns -ENOSYS and logs the name once. (The Makefile links the library
 * with --whole-archive because weak references alone do not pull objects
 * out of an archive.)
 *
 * Entry kinds:
 *   OK(name, args)              implemented with Linux's semantics once a
 *                               handler exists (the status comes from fn)
 *   PART(name, args, note)      implemented; note says what is missing
 *   ERR(name, -errno, args, note)
 *                               deliberately refused: returns -errno without
 *                               a handler; note says why (and what gVisor's
 *                               linux64.go does, our model)
 * `args` is how --strace prints the arguments: see the kinds at the top of
 * syscalls/strace.c. Numbers 335..423 are unused on x86-64 and have no
 * entry (SYS_NONE).
 */
#include <asm/unistd_64.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "sentry/log.h"
#include "syscalls/table.h"

/* Numbers newer than the build host's <asm/unistd_64.h>. */
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_map_shadow_stack
#define __NR_map_shadow_stack 453
#endif
#ifndef __NR_futex_wake
#define __NR_futex_wake 454
#endif
#ifndef __NR_futex_wait
#define __NR_futex_wait 455
#endif
#ifndef __NR_futex_requeue
#define __NR_futex_requeue 456
#endif
#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#ifndef __NR_listmount
#define __NR_listmount 458
#endif
#ifndef __NR_lsm_get_self_attr
#define __NR_lsm_get_self_attr 459
#endif
#ifndef __NR_lsm_set_self_attr
#define __NR_lsm_set_self_attr 460
#endif
#ifndef __NR_lsm_list_modules
#define __NR_lsm_list_modules 461
#endif
#ifndef __NR_mseal
#define __NR_mseal 462
#endif

/*
 * Every x86-64 syscall, in number order. Argument counts follow the
 * kernel's SYSCALL_DEFINEn; where the raw ABI differs from libc's wrapper
 * the spec follows the raw ABI (clone's argument order, preadv's split
 * offset, getcwd returning a length).
 */
#define SYSCALL_LIST(OK, PART, ERR)                                                        \
	OK(read, "fd,obuf:ret,size")                                                        \
	OK(write, "fd,ibuf:2,size")                                                         \
	OK(open, "path,oflags,cmode:1") \
	OK(close, "fd")                                                                     \
	OK(stat, "path,ptr")                                                                \
	OK(fstat, "fd,ptr")                                                                 \
	OK(lstat, "path,ptr")                                                               \
	PART(poll, "ptr,uint,int", "after a signal without a handler the call restarts with the full timeout (Linux resumes with the time left)") \
	OK(lseek, "fd,off,whence")                                                          \
	PART(mmap, "ptr,size,prot,mmapflags,fd,hex->hex", "MAP_SHARED of files other than tmpfs/overlay/writable-bind ones (procfs, host fds) is a private copy; MAP_HUGETLB gives ENOMEM")                                     \
	OK(mprotect, "ptr,size,prot")                                                       \
	OK(munmap, "ptr,size")                                                              \
	OK(brk, "ptr->hex")                                                                 \
	OK(rt_sigaction, "signo,sigact,osigact,size")                                              \
	OK(rt_sigprocmask, "how,sigset,osigset,size")                                        \
	OK(rt_sigreturn, "")                                                                \
	PART(ioctl, "fd,ioctl,hex", "FIOASYNC (signal-driven I/O) works for pipes, FIFOs, sockets, pseudo-terminals and inotify; on a donated host fd (stdio) it gives EINVAL") \
	OK(pread64, "fd,obuf:ret,size,off")                                                 \
	OK(pwrite64, "fd,ibuf:2,size,off")                                                  \
	OK(readv, "fd,oiov:2,int")                                                          \
	OK(writev, "fd,iov:2,int")                                                          \
	OK(access, "path,access")                                                           \
	OK(pipe, "fds")                                                                     \
	OK(select, "int,ptr,ptr,ptr,ptr")                                                   \
	OK(sched_yield, "")                                                                 \
	PART(mremap, "ptr,size,size,mremap,ptr->hex", "MREMAP_DONTUNMAP and old_size 0 (duplicating a shared mapping) give EINVAL; growing or moving shared anonymous memory gives EINVAL; a range spanning several mappings gives EFAULT (as before Linux 6.17)")                                         \
	OK(msync, "ptr,size,msync") \
	PART(mincore, "ptr,size,ptr", "pages of read-only private file mappings (the sandbox's file cache, or the host file itself) always count as resident") \
	OK(madvise, "ptr,size,madv")                                                        \
	PART(shmget, "hex,size,hex", "SHM_HUGETLB: the sandbox reserves no huge pages (ENOMEM; EPERM without CAP_IPC_LOCK)") \
	OK(shmat, "int,ptr,hex->hex")                                                       \
	PART(shmctl, "int,int,ptr", "SHM_LOCK/SHM_UNLOCK only set the flag; RLIMIT_MEMLOCK is checked against the one segment, not all the user has locked") \
	OK(dup, "fd")                                                                       \
	OK(dup2, "fd,fd")                                                                   \
	OK(pause, "")                                                                       \
	OK(nanosleep, "ts,ptr")                                                             \
	OK(getitimer, "int,ptr")                                                            \
	OK(alarm, "uint")                                                                   \
	OK(setitimer, "int,ptr,ptr")                                                        \
	OK(getpid, "")                                                                      \
	OK(sendfile, "fd,fd,ptr,size")                                                      \
	PART(socket, "af,socktype,int", "AF_UNIX; AF_INET/AF_INET6 TCP and UDP on the sandbox's own loopback, TCP and UDP egress under --net=sandbox and the policy (ICMP and IPv6 do not leave); AF_NETLINK NETLINK_ROUTE (link/addr/route dumps) and NETLINK_SOCK_DIAG (every request ENOENT, as without diag modules); other netlink protocols EPROTONOSUPPORT; other families EAFNOSUPPORT; raw and packet sockets EPERM (EPROTONOSUPPORT/EAFNOSUPPORT with CAP_NET_RAW)") \
	PART(connect, "fd,ptr,int", "AF_INET/AF_INET6 reach only 127.0.0.0/8 and ::1 (other addresses ENETUNREACH)") \
	OK(accept, "fd,ptr,ptr")                                                            \
	PART(sendto, "fd,ibuf:2,size,hex,ptr,int", "MSG_OOB: EOPNOTSUPP on AF_UNIX, inline data on TCP; UDP beyond loopback ENETUNREACH, or under --net=sandbox egress (refused by policy: EPERM)") \
	OK(recvfrom, "fd,obuf:ret,size,hex,ptr,ptr")                                        \
	PART(sendmsg, "fd,ptr,hex", "SCM_RIGHTS and SCM_CREDENTIALS (AF_UNIX); UDP: IP_TTL/IP_TOS/IP_PKTINFO, IPV6_HOPLIMIT/IPV6_TCLASS/IPV6_PKTINFO; no IPv6 extension headers") \
	PART(recvmsg, "fd,ptr,hex", "UDP: IP_PKTINFO/TTL/TOS/ORIGDSTADDR, IPV6_PKTINFO/HOPLIMIT/TCLASS/ORIGDSTADDR; no timestamps; MSG_ERRQUEUE always empty") \
	OK(shutdown, "fd,int")                                                              \
	PART(bind, "fd,ptr,int", "inet: wildcard, loopback, multicast and broadcast addresses only (others EADDRNOTAVAIL); no TIME_WAIT") \
	OK(listen, "fd,int")                                                                \
	OK(getsockname, "fd,ptr,ptr")                                                                                                     \
	OK(getpeername, "fd,ptr,ptr")                                                                                                     \
	OK(socketpair, "af,socktype,int,fds")                                               \
	PART(setsockopt, "fd,int,int,ptr,int", "SOL_SOCKET options of net/README.md; IP_TTL/IP_TOS/IPV6_UNICAST_HOPS/IPV6_TCLASS and the IP_RECV*/IPV6_RECV* flags shape UDP datagrams and cmsgs; other TCP/IP/IPv6 options stored without effect (IPV6_V6ONLY honoured); no BPF filters") \
	PART(getsockopt, "fd,int,int,ptr,ptr", "SOL_SOCKET options of net/README.md; TCP_INFO is zeros but for the state")                \
	PART(clone, "clone,ptr,ptr,ptr,hex", "CLONE_SIGHAND without CLONE_THREAD, namespaces and CLONE_PIDFD give EINVAL; a non-leader thread's execve keeps its own tid")                                                  \
	OK(fork, "")                                                                        \
	OK(vfork, "")                                                                       \
	OK(execve, "path,argv,ptr")                                                         \
	OK(exit, "int->noret")                                                              \
	PART(wait4, "int,ptr,wait,ptr", "rusage has CPU times and ru_maxrss; fault, context-switch and I/O counters are zero")                                                       \
	OK(kill, "int,signo")                                                               \
	OK(uname, "ptr")                                                                    \
	OK(semget, "hex,int,hex")                                                           \
	OK(semop, "int,ptr,size")                                                           \
	OK(semctl, "int,int,int,hex")                                                       \
	OK(shmdt, "ptr")                                                                    \
	OK(msgget, "hex,hex")                                                               \
	OK(msgsnd, "int,ptr,size,hex")                                                      \
	OK(msgrcv, "int,ptr,size,off,hex")                                                  \
	OK(msgctl, "int,int,ptr")                                                           \
	PART(fcntl, "fd,fcntl,fcntlarg", "signal-driven I/O (F_SETFL O_ASYNC, F_SETOWN/F_SETOWN_EX, F_SETSIG) works for pipes, FIFOs, sockets, pseudo-terminals and inotify, but gives EINVAL on a donated host fd (stdio); leases are never granted (F_SETLEASE: EINVAL, F_GETLEASE: F_UNLCK); F_SETPIPE_SZ above pipe-max-size (1 MiB) gives EPERM even for root") \
	OK(flock, "fd,int") \
	OK(fsync, "fd")                                                                     \
	OK(fdatasync, "fd")                                                                 \
	OK(truncate, "path,off")                                                            \
	OK(ftruncate, "fd,off")                                                             \
	OK(getdents, "fd,ptr,size")                                                         \
	OK(getcwd, "ostr,size")                                                             \
	OK(chdir, "path")                                                                   \
	OK(fchdir, "fd")                                                                    \
	PART(rename, "path,path", "renaming a directory that exists in the read-only lower layer gives EXDEV")                                                             \
	OK(mkdir, "path,mode")                                                              \
	OK(rmdir, "path")                                                                   \
	OK(creat, "path,mode")                                                              \
	OK(link, "path,path")                                                               \
	OK(unlink, "path")                                                                  \
	OK(symlink, "path,path")                                                            \
	OK(readlink, "path,obuf:ret,size")                                                  \
	OK(chmod, "path,mode")                                                              \
	OK(fchmod, "fd,mode")                                                               \
	OK(chown, "path,int,int")                                                           \
	OK(fchown, "fd,int,int")                                                            \
	OK(lchown, "path,int,int")                                                          \
	OK(umask, "mode->oct")                                                              \
	OK(gettimeofday, "ptr,ptr")                                                         \
	OK(getrlimit, "rlimit,ptr")                                                         \
	PART(getrusage, "int,ptr", "CPU times and ru_maxrss are real; fault, context-switch and I/O counters are zero") \
	PART(sysinfo, "ptr", "reports the sandbox's memory limit and usage, not the host's") \
	OK(times, "ptr")                                                                    \
	PART(ptrace, "int,int,ptr,ptr", "guest tracers of guest tasks (strace, gdb): TRACEME, ATTACH/SEIZE, INTERRUPT, LISTEN, CONT/SYSCALL/SINGLESTEP/SYSEMU(_SINGLESTEP), KILL, DETACH, PEEK/POKE text, data and user, GET/SETREGS, GET/SETFPREGS, GET/SETREGSET (NT_PRSTATUS, NT_PRFPREG, NT_X86_XSTATE), GET/SETSIGINFO, GETEVENTMSG, SETOPTIONS, GET_SYSCALL_INFO, GET/SETSIGMASK, ARCH_PRCTL; EIO: PEEKSIGINFO, GET/SET_THREAD_AREA, SINGLEBLOCK, SECCOMP_GET_FILTER/METADATA, GET_RSEQ_CONFIGURATION, SYSCALL_USER_DISPATCH; hardware breakpoints are never armed (a DR7 enable bit: EIO); PTRACE_O_SUSPEND_SECCOMP: EINVAL; no PTRACE_EVENT_SECCOMP stops; yama ptrace_scope is 0") \
	OK(getuid, "")                                                                      \
	OK(syslog, "int,ptr,int")                                                           \
	OK(getgid, "")                                                                      \
	PART(setuid, "int", "changes the calling thread's credentials only (glibc's all-thread setxid broadcast is not honoured)")                                                                   \
	PART(setgid, "int", "changes the calling thread's credentials only (glibc's all-thread setxid broadcast is not honoured)")                                                                   \
	OK(geteuid, "")                                                                     \
	OK(getegid, "")                                                                     \
	OK(setpgid, "int,int")                                                              \
	OK(getppid, "")                                                                     \
	OK(getpgrp, "")                                                                     \
	OK(setsid, "")                                                                      \
	PART(setreuid, "int,int", "changes the calling thread's credentials only (glibc's all-thread setxid broadcast is not honoured)")                                                             \
	OK(setregid, "int,int")                                                             \
	OK(getgroups, "int,ptr")                                                            \
	PART(setgroups, "int,ptr", "changes the calling thread's credentials only (glibc's all-thread setxid broadcast is not honoured)")                                                            \
	PART(setresuid, "int,int,int", "changes the calling thread's credentials only (glibc's all-thread setxid broadcast is not honoured)")                                                        \
	OK(getresuid, "ptr,ptr,ptr")                                                        \
	OK(setresgid, "int,int,int")                                                        \
	OK(getresgid, "ptr,ptr,ptr")                                                        \
	OK(getpgid, "int")                                                                  \
	OK(setfsuid, "int")                                                                 \
	OK(setfsgid, "int")                                                                 \
	OK(getsid, "int")                                                                   \
	PART(capget, "ptr,ptr", "another process's capabilities: ESRCH")                                                               \
	OK(capset, "ptr,ptr")                                                               \
	OK(rt_sigpending, "osigset,size")                                                    \
	OK(rt_sigtimedwait, "sigset,ptr,ts,size")                                           \
	OK(rt_sigqueueinfo, "int,signo,ptr")                                                \
	OK(rt_sigsuspend, "sigset,size")                                                    \
	OK(sigaltstack, "ptr,ptr")                                                          \
	OK(utime, "path,ptr")                                                               \
	PART(mknod, "path,mode,hex", "device nodes (other than 0:0 whiteouts) can be made by root but open with ENXIO") \
	ERR(uselib, -ENOSYS, "path", "obsolete (a.out shared libraries); gVisor: ENOSYS")   \
	PART(personality, "hex->hex", "ADDR_NO_RANDOMIZE (a fixed exec layout) and PER_LINUX32 (uname's i686) take effect; READ_IMPLIES_EXEC (cleared by exec), UNAME26 and the other flags are kept without effect") \
	OK(ustat, "hex,ptr")                                                                \
	OK(statfs, "path,ptr")                                                              \
	OK(fstatfs, "fd,ptr")                                                               \
	OK(sysfs, "int,hex,hex")                                                            \
	OK(getpriority, "int,int")                                                          \
	OK(setpriority, "int,int,int")                                                      \
	OK(sched_setparam, "int,ptr")                                                       \
	OK(sched_getparam, "int,ptr")                                                       \
	OK(sched_setscheduler, "int,int,ptr")                                               \
	OK(sched_getscheduler, "int")                                                       \
	OK(sched_get_priority_max, "int")                                                   \
	OK(sched_get_priority_min, "int")                                                   \
	OK(sched_rr_get_interval, "int,ptr")                                                \
	OK(mlock, "ptr,size")                                                               \
	OK(munlock, "ptr,size")                                                             \
	OK(mlockall, "hex")                                                                 \
	OK(munlockall, "")                                                                  \
	ERR(vhangup, -EPERM, "", "needs CAP_SYS_TTY_CONFIG over the host's terminal; gVisor: EPERM") \
	ERR(modify_ldt, -EPERM, "int,ptr,size", "no LDT segments in the guest; gVisor: EPERM") \
	OK(pivot_root, "path,path")                                                         \
	ERR(_sysctl, -ENOSYS, "ptr", "removed in Linux 5.5 (use /proc/sys); gVisor: EPERM") \
	PART(prctl, "prctl,hex,hex,hex,hex", "names, death signal, subreaper, dumpable, keep-caps, no-new-privs, bounding set, timer slack; seccomp (as seccomp(2)); others (ambient caps, VMA names...) give EINVAL")   \
	OK(arch_prctl, "archprctl,hex")                                                     \
	ERR(adjtimex, -EPERM, "ptr", "the host clock is not the guest's to steer (CAP_SYS_TIME); gVisor: EPERM") \
	OK(setrlimit, "rlimit,ptr")                                                         \
	OK(chroot, "path")                                                                  \
	OK(sync, "")                                                                        \
	ERR(acct, -EPERM, "path", "process accounting needs CAP_SYS_PACCT; gVisor: EPERM")  \
	ERR(settimeofday, -EPERM, "ptr,ptr", "the host clock is not the guest's to set (CAP_SYS_TIME); gVisor: EPERM") \
	PART(mount, "str,path,str,hex,ptr", "tmpfs, mqueue (as a tmpfs), proc, sysfs, directory bind mounts, MS_REMOUNT flags; propagation flags accepted (one mount tree); MS_MOVE and file bind mounts EINVAL, other types ENODEV") \
	PART(umount2, "path,hex", "EBUSY only for mounts stacked inside, not for open files (they stay usable)") \
	ERR(swapon, -EPERM, "path,hex", "host swap (CAP_SYS_ADMIN); gVisor: EPERM")         \
	ERR(swapoff, -EPERM, "path", "host swap (CAP_SYS_ADMIN); gVisor: EPERM")            \
	ERR(reboot, -EPERM, "hex,hex,hex,ptr", "CAP_SYS_BOOT; gVisor: EPERM")               \
	OK(sethostname, "ibuf:1,size")                                                      \
	OK(setdomainname, "ibuf:1,size")                                                    \
	ERR(iopl, -EPERM, "int", "no port I/O (CAP_SYS_RAWIO); gVisor: EPERM")              \
	ERR(ioperm, -EPERM, "hex,hex,int", "no port I/O (CAP_SYS_RAWIO); gVisor: EPERM")    \
	ERR(create_module, -ENOSYS, "str,size", "removed in Linux 2.6; gVisor: EPERM")      \
	ERR(init_module, -EPERM, "ptr,size,str", "no kernel modules (CAP_SYS_MODULE); gVisor: EPERM") \
	ERR(delete_module, -EPERM, "str,hex", "no kernel modules (CAP_SYS_MODULE); gVisor: EPERM") \
	ERR(get_kernel_syms, -ENOSYS, "ptr", "removed in Linux 2.6; gVisor: ENOSYS")        \
	ERR(query_module, -ENOSYS, "str,int,ptr,size,ptr", "removed in Linux 2.6; gVisor: ENOSYS") \
	ERR(quotactl, -EPERM, "hex,path,int,ptr", "disk quotas (CAP_SYS_ADMIN); gVisor: EPERM") \
	ERR(nfsservctl, -ENOSYS, "int,ptr,ptr", "removed in Linux 3.1; gVisor: ENOSYS")     \
	ERR(getpmsg, -ENOSYS, "hex,hex,hex,hex,hex", "never implemented by Linux; gVisor: ENOSYS") \
	ERR(putpmsg, -ENOSYS, "hex,hex,hex,hex,hex", "never implemented by Linux; gVisor: ENOSYS") \
	ERR(afs_syscall, -ENOSYS, "hex,hex,hex,hex,hex", "never implemented by Linux")      \
	ERR(tuxcall, -ENOSYS, "hex,hex,hex", "never implemented by Linux; gVisor: ENOSYS")  \
	ERR(security, -ENOSYS, "hex,hex,hex", "never implemented by Linux; gVisor: ENOSYS") \
	OK(gettid, "")                                                                      \
	OK(readahead, "fd,off,size")                                                        \
	OK(setxattr, "path,str,ptr,size,hex") \
	OK(lsetxattr, "path,str,ptr,size,hex") \
	OK(fsetxattr, "fd,str,ptr,size,hex") \
	PART(getxattr, "path,str,ptr,size", "attributes of the read-only host layer are not shown (the overlay keeps its own)") \
	PART(lgetxattr, "path,str,ptr,size", "attributes of the read-only host layer are not shown (the overlay keeps its own)") \
	PART(fgetxattr, "fd,str,ptr,size", "attributes of the read-only host layer are not shown (the overlay keeps its own)") \
	PART(listxattr, "path,ptr,size", "attributes of the read-only host layer are not listed (the overlay keeps its own)") \
	PART(llistxattr, "path,ptr,size", "attributes of the read-only host layer are not listed (the overlay keeps its own)") \
	PART(flistxattr, "fd,ptr,size", "attributes of the read-only host layer are not listed (the overlay keeps its own)") \
	OK(removexattr, "path,str")                                                         \
	OK(lremovexattr, "path,str")                                                        \
	OK(fremovexattr, "fd,str")                                                          \
	OK(tkill, "int,signo")                                                              \
	OK(time, "ptr")                                                                     \
	PART(futex, "ptr,futexop,int,futexts,ptr,hex", "priority-inheritance operations and FUTEX_FD give ENOSYS")                                            \
	PART(sched_setaffinity, "int,size,ptr", "virtual: the mask is kept per thread and reported; the host placement of the sentry's threads does not change") \
	OK(sched_getaffinity, "int,size,ptr")                                               \
	ERR(set_thread_area, -ENOSYS, "ptr", "32-bit TLS segments; 64-bit code uses arch_prctl; gVisor: ENOSYS") \
	OK(io_setup, "uint,ptr")                                                            \
	OK(io_destroy, "hex")                                                               \
	OK(io_getevents, "hex,off,off,ptr,ts")                                              \
	OK(io_submit, "hex,off,ptr")                                                        \
	OK(io_cancel, "hex,ptr,ptr")                                                        \
	ERR(get_thread_area, -ENOSYS, "ptr", "32-bit TLS segments; 64-bit code uses arch_prctl; gVisor: ENOSYS") \
	ERR(lookup_dcookie, -EPERM, "hex,ptr,size", "oprofile interface (CAP_SYS_ADMIN); gVisor: EPERM") \
	OK(epoll_create, "int")                                                             \
	ERR(epoll_ctl_old, -ENOSYS, "hex,hex,hex,hex", "never used by Linux; gVisor: ENOSYS") \
	ERR(epoll_wait_old, -ENOSYS, "hex,hex,hex", "never used by Linux; gVisor: ENOSYS")  \
	OK(remap_file_pages, "ptr,size,hex,size,hex")                                       \
	OK(getdents64, "fd,ptr,size")                                                       \
	OK(set_tid_address, "ptr")                                                          \
	OK(restart_syscall, "")                                                             \
	OK(semtimedop, "int,ptr,size,ts")                                                   \
	OK(fadvise64, "fd,off,size,int")                                                    \
	PART(timer_create, "clockid,ptr,ptr", "SIGEV_THREAD_ID signals go to the process; CPU-clock timers are checked every 4 ms") \
	OK(timer_settime, "int,hex,ptr,ptr")                                                \
	OK(timer_gettime, "int,ptr")                                                        \
	OK(timer_getoverrun, "int")                                                         \
	OK(timer_delete, "int")                                                             \
	PART(clock_settime, "clockid,ts", "arguments validated as Linux does; setting CLOCK_REALTIME is refused (EPERM): the host clock is not the guest's") \
	OK(clock_gettime, "clockid,ots")                                                    \
	OK(clock_getres, "clockid,ots")                                                      \
	PART(clock_nanosleep, "clockid,hex,ts,ptr", "an absolute CLOCK_REALTIME sleep does not follow clock changes made during it")                                           \
	OK(exit_group, "int->noret")                                                        \
	OK(epoll_wait, "fd,ptr,int,int")                                                    \
	PART(epoll_ctl, "fd,int,fd,ptr", "EPOLLEXCLUSIVE may wake more than one waiter; EPOLLWAKEUP is ignored")                                                      \
	OK(tgkill, "int,int,signo")                                                         \
	OK(utimes, "path,ptr")                                                              \
	ERR(vserver, -ENOSYS, "hex,hex,hex,hex,hex", "never implemented by Linux; gVisor: ENOSYS") \
	OK(mbind, "ptr,size,int,ptr,hex,hex")                                               \
	OK(set_mempolicy, "int,ptr,hex")                                                    \
	OK(get_mempolicy, "ptr,ptr,hex,ptr,hex")                                            \
	OK(mq_open, "str,oflags,mode,ptr")                                                  \
	OK(mq_unlink, "str")                                                                \
	OK(mq_timedsend, "int,ibuf:2,size,uint,ts")                                         \
	OK(mq_timedreceive, "int,ptr,size,ptr,ts")                                          \
	OK(mq_notify, "int,ptr")                                                            \
	OK(mq_getsetattr, "int,ptr,ptr")                                                    \
	ERR(kexec_load, -EPERM, "hex,hex,ptr,hex", "would replace the host kernel (CAP_SYS_BOOT); gVisor: EPERM") \
	PART(waitid, "int,int,ptr,wait,ptr", "rusage has CPU times and ru_maxrss; fault, context-switch and I/O counters are zero")                                                  \
	OK(add_key, "str,str,ptr,size,int")                                                 \
	OK(request_key, "str,str,str,int")                                                  \
	OK(keyctl, "int,hex,hex,hex,hex")                                                   \
	OK(ioprio_set, "int,int,int")                                                       \
	OK(ioprio_get, "int,int")                                                           \
	OK(inotify_init, "")                                                                \
	OK(inotify_add_watch, "fd,path,hex")                                                \
	OK(inotify_rm_watch, "fd,int")                                                      \
	ERR(migrate_pages, -EPERM, "int,hex,ptr,ptr", "host NUMA placement (CAP_SYS_NICE); gVisor: EPERM") \
	OK(openat, "atfd,path,oflags,cmode:2") \
	OK(mkdirat, "atfd,path,mode")                                                       \
	PART(mknodat, "atfd,path,mode,hex", "device nodes (other than 0:0 whiteouts) can be made by root but open with ENXIO") \
	OK(fchownat, "atfd,path,int,int,atflags")                                           \
	OK(futimesat, "atfd,path,ptr")                                                      \
	OK(newfstatat, "atfd,path,ptr,atflags")                                             \
	OK(unlinkat, "atfd,path,atflags")                                                   \
	PART(renameat, "atfd,path,atfd,path", "renaming a directory that exists in the read-only lower layer gives EXDEV")                                                 \
	OK(linkat, "atfd,path,atfd,path,atflags")                                           \
	OK(symlinkat, "path,atfd,path")                                                     \
	OK(readlinkat, "atfd,path,obuf:ret,size")                                           \
	OK(fchmodat, "atfd,path,mode")                                                      \
	OK(faccessat, "atfd,path,access")                                                   \
	OK(pselect6, "int,ptr,ptr,ptr,ts,ptr")                                              \
	OK(ppoll, "ptr,uint,ts,sigset,size")                                                \
	OK(unshare, "clone")                                                                \
	OK(set_robust_list, "ptr,size")                                                     \
	OK(get_robust_list, "int,ptr,ptr")                                                  \
	OK(splice, "fd,ptr,fd,ptr,size,hex")                                                \
	OK(tee, "fd,fd,size,hex")                                                           \
	OK(sync_file_range, "fd,off,off,hex")                                               \
	OK(vmsplice, "fd,ptr,size,hex")                                                     \
	ERR(move_pages, -EPERM, "int,hex,ptr,ptr,ptr,hex", "host NUMA placement (CAP_SYS_NICE); gVisor: EPERM") \
	OK(utimensat, "atfd,path,ptr,atflags")                                              \
	OK(epoll_pwait, "fd,ptr,int,int,sigset,size")                                       \
	OK(signalfd, "fd,sigset,size")                                                      \
	OK(timerfd_create, "clockid,hex")                                                   \
	OK(eventfd, "uint")                                                                 \
	OK(fallocate, "fd,int,off,off")                                                     \
	PART(timerfd_settime, "fd,hex,ptr,ptr", "TFD_TIMER_CANCEL_ON_SET is accepted but a clock change does not cancel the read")                                               \
	OK(timerfd_gettime, "fd,ptr")                                                       \
	OK(accept4, "fd,ptr,ptr,socktype")                                                  \
	OK(signalfd4, "fd,sigset,size,oflags")                                              \
	OK(eventfd2, "uint,oflags")                                                         \
	OK(epoll_create1, "oflags")                                                         \
	OK(dup3, "fd,fd,oflags")                                                            \
	PART(pipe2, "fds,oflags", "O_NOTIFICATION_PIPE gives ENOPKG (no watch queues)") \
	OK(inotify_init1, "oflags")                                                         \
	OK(preadv, "fd,oiov:2,int,off,hex")                                                 \
	OK(pwritev, "fd,iov:2,int,off,hex")                                                 \
	OK(rt_tgsigqueueinfo, "int,int,signo,ptr")                                          \
	ERR(perf_event_open, -ENODEV, "ptr,int,int,int,hex", "no performance counters; gVisor: ENODEV") \
	PART(recvmmsg, "fd,ptr,uint,hex,ts", "an error after some datagrams is not kept as the socket's pending error") \
	OK(fanotify_init, "hex,hex")                                                        \
	OK(fanotify_mark, "fd,hex,hex,atfd,path")                                           \
	OK(prlimit64, "int,rlimit,ptr,ptr")                                                 \
	PART(name_to_handle_at, "atfd,path,ptr,ptr,atflags", "no file handles: EOPNOTSUPP once the path resolves (a file system without export operations); gVisor: EOPNOTSUPP") \
	PART(open_by_handle_at, "fd,ptr,oflags", "no handle is ever valid: ESTALE after Linux's checks (EBADF, EPERM without CAP_DAC_READ_SEARCH, EINVAL); never bypasses path checks (the \"shocker\" escape)") \
	ERR(clock_adjtime, -EPERM, "clockid,ptr", "the host clock is not the guest's to steer (CAP_SYS_TIME); gVisor: EPERM") \
	OK(syncfs, "fd")                                                                    \
	OK(sendmmsg, "fd,ptr,uint,hex")                                                     \
	OK(setns, "fd,clone")                                                               \
	OK(getcpu, "ptr,ptr,ptr")                                                           \
	OK(process_vm_readv, "int,ptr,uint,ptr,uint,hex")                                   \
	OK(process_vm_writev, "int,ptr,uint,ptr,uint,hex")                                  \
	ERR(kcmp, -EPERM, "int,int,int,hex,hex", "compares host kernel objects (CAP_SYS_PTRACE); gVisor: EPERM") \
	ERR(finit_module, -EPERM, "fd,str,hex", "no kernel modules (CAP_SYS_MODULE); gVisor: EPERM") \
	PART(sched_setattr, "int,ptr,hex", "virtual scheduling state; no SCHED_DEADLINE admission control; utilization clamps give EOPNOTSUPP (no CONFIG_UCLAMP_TASK)") \
	OK(sched_getattr, "int,ptr,uint,hex")                                               \
	PART(renameat2, "atfd,path,atfd,path,hex", "renaming a directory that exists in the read-only lower layer gives EXDEV") \
	PART(seccomp, "uint,hex,ptr", "no user notification (SECCOMP_FILTER_FLAG_NEW_LISTENER: EINVAL; SECCOMP_RET_USER_NOTIF finds no listener: ENOSYS); SECCOMP_RET_TRACE finds no tracer (ENOSYS)") \
	OK(getrandom, "obuf:ret,size,grnd")                                                  \
	OK(memfd_create, "str,hex")                                                         \
	ERR(kexec_file_load, -EPERM, "fd,fd,size,str,hex", "would replace the host kernel (CAP_SYS_BOOT); gVisor: EPERM") \
	ERR(bpf, -EPERM, "int,ptr,uint", "eBPF runs in the host kernel; as with kernel.unprivileged_bpf_disabled (gVisor: CGROUP_DEVICE stubs only)") \
	PART(execveat, "atfd,path,argv,ptr,atflags", "a path relative to a directory fd is resolved through that directory's path")                                          \
	ERR(userfaultfd, -ENOSYS, "oflags", "as a kernel without CONFIG_USERFAULTFD; gVisor: ENOSYS") \
	PART(membarrier, "int,hex,int", "the RSEQ commands are refused (EINVAL, not offered by QUERY) as without CONFIG_RSEQ: rseq critical sections are never aborted; the barrier is the host's MEMBARRIER_CMD_GLOBAL_EXPEDITED over the sandbox's stubs (ENOSYS on a host without it and without MEMBARRIER_CMD_GLOBAL)") \
	OK(mlock2, "ptr,size,hex")                                                          \
	OK(copy_file_range, "fd,ptr,fd,ptr,size,hex")                                       \
	PART(preadv2, "fd,oiov:2,int,off,hex,hex", "RWF_NOWAIT on pipes/sockets tests readiness first, so a racing reader can still make it wait") \
	PART(pwritev2, "fd,iov:2,int,off,hex,hex", "RWF_APPEND is not atomic against concurrent writers; RWF_NOAPPEND does not cancel O_APPEND") \
	PART(pkey_mprotect, "ptr,size,prot,int", "no protection keys (a CPU without PKU, as here): mprotect for key -1, EINVAL for any other") \
	PART(pkey_alloc, "hex,hex", "no protection keys (a CPU without PKU): EINVAL, as Linux there") \
	PART(pkey_free, "int", "no protection keys (a CPU without PKU): EINVAL, as Linux there") \
	OK(statx, "atfd,path,atflags,hex,ptr")                                              \
	OK(io_pgetevents, "hex,off,off,ptr,ts,ptr")                                         \
	PART(rseq, "ptr,uint,hex,hex", "critical sections are not aborted on preemption")   \
	PART(pidfd_send_signal, "fd,signo,ptr,hex", "a siginfo with PIDFD_SIGNAL_PROCESS_GROUP gives EINVAL") \
	OK(io_uring_setup, "uint,ptr")                                                      \
	OK(io_uring_enter, "fd,uint,uint,hex,ptr,size")                                     \
	OK(io_uring_register, "fd,uint,ptr,uint")                                           \
	OK(open_tree, "atfd,path,hex")                                                      \
	OK(move_mount, "atfd,path,atfd,path,hex")                                           \
	OK(fsopen, "str,hex")                                                               \
	OK(fsconfig, "fd,uint,str,ptr,int")                                                 \
	OK(fsmount, "fd,hex,hex")                                                           \
	OK(fspick, "atfd,path,hex")                                                         \
	OK(pidfd_open, "int,hex")                                                           \
	PART(clone3, "ptr,size", "as clone; set_tid, CLONE_INTO_CGROUP and CLONE_PIDFD give EINVAL")                                                              \
	PART(close_range, "uint,uint,hex", "CLOSE_RANGE_UNSHARE does not unshare the table")                                                    \
	PART(openat2, "atfd,path,ptr,size", "O_CREAT through a dangling symlink gives EXDEV under RESOLVE_BENEATH, RESOLVE_IN_ROOT and RESOLVE_NO_XDEV (Linux creates the target where it stays in scope)") \
	OK(pidfd_getfd, "fd,fd,hex")                                                        \
	OK(faccessat2, "atfd,path,access,accflags")                                         \
	OK(process_madvise, "fd,ptr,size,madv,hex")                                         \
	OK(epoll_pwait2, "fd,ptr,int,ts,sigset,size")                                       \
	OK(mount_setattr, "atfd,path,hex,ptr,size")                                         \
	OK(quotactl_fd, "fd,hex,int,ptr")                                                   \
	OK(landlock_create_ruleset, "ptr,size,hex")                                         \
	OK(landlock_add_rule, "fd,int,ptr,hex")                                             \
	OK(landlock_restrict_self, "fd,hex")                                                \
	OK(memfd_secret, "hex")                                                             \
	OK(process_mrelease, "fd,hex")                                                      \
	OK(futex_waitv, "ptr,uint,hex,ts,clockid")                                          \
	OK(set_mempolicy_home_node, "ptr,size,hex,hex")                                     \
	OK(cachestat, "fd,ptr,ptr,hex")                                                     \
	OK(fchmodat2, "atfd,path,mode,atflags")                                             \
	OK(map_shadow_stack, "ptr,size,hex->hex")                                           \
	OK(futex_wake, "ptr,hex,int,hex")                                                   \
	OK(futex_wait, "ptr,hex,hex,hex,ts,clockid")                                        \
	OK(futex_requeue, "ptr,hex,int,int")                                                \
	OK(statmount, "ptr,ptr,size,hex")                                                   \
	OK(listmount, "ptr,ptr,size,hex")                                                   \
	OK(lsm_get_self_attr, "uint,ptr,ptr,hex")                                           \
	OK(lsm_set_self_attr, "uint,ptr,size,hex")                                          \
	OK(lsm_list_modules, "ptr,ptr,hex")                                                 \
	OK(mseal, "ptr,size,hex")

/* Pass 1: a weak reference to every handler a non-refused entry names. */
#define DECLARE_OK(name, args) \
	extern long sys_##name(struct task *, const struct syscall_args *) __attribute__((weak));
#define DECLARE_PART(name, args, note) DECLARE_OK(name, args)
#define DECLARE_ERR(name, err, args, note)
SYSCALL_LIST(DECLARE_OK, DECLARE_PART, DECLARE_ERR)

/* Pass 2: the entries. */
#define ENTRY_OK(n, a) \
	[__NR_##n] = { .name = #n, .fn = sys_##n, .support = SYS_FULL, .args = a },
#define ENTRY_PART(n, a, why)                                                   \
	[__NR_##n] = { .name = #n, .fn = sys_##n, .support = SYS_PARTIAL, \
		       .args = a, .note = why },
#define ENTRY_ERR(n, e, a, why)                                                   \
	[__NR_##n] = { .name = #n, .fn = NULL, .support = SYS_ERROR, .err = e, \
		       .args = a, .note = why },

const struct syscall_entry syscall_table[SYSCALL_TABLE_SIZE] = {
	SYSCALL_LIST(ENTRY_OK, ENTRY_PART, ENTRY_ERR)
};

/* One bit per number: set once its "unsupported" line has been logged. */
static uint64_t unsupported_logged[(SYSCALL_TABLE_SIZE + 63) / 64];

const char *syscall_name(int nr)
{
	if (nr >= 0 && nr < SYSCALL_TABLE_SIZE && syscall_table[nr].name)
		return syscall_table[nr].name;
	/* Per thread, so concurrent callers never see each other's number. */
	static __thread char buf[24];
	snprintf(buf, sizeof(buf), "syscall_%d", nr);
	return buf;
}

static long syscall_unsupported(int nr)
{
	uint64_t bit = 1ULL << (nr % 64);
	if (!(__atomic_fetch_or(&unsupported_logged[nr / 64], bit, __ATOMIC_RELAXED) & bit))
		slog("unsupported syscall %s (%d)", syscall_name(nr), nr);
	return -ENOSYS;
}

long syscall_dispatch(struct task *t, const struct syscall_args *a)
{
	int nr = a->nr;
	/* One unsigned compare covers negative numbers too. */
	if ((unsigned)nr >= SYSCALL_TABLE_SIZE)
		return -ENOSYS;
	const struct syscall_entry *e = &syscall_table[nr];
	if (__builtin_expect(e->fn != NULL, 1))
		return e->fn(t, a);
	switch (e->support) {
	case SYS_NONE:
		return -ENOSYS;   /* a gap in the numbering, as on Linux: not logged */
	case SYS_ERROR:
		return e->err;
	default:
		return syscall_unsupported(nr);
	}
}

/* ---- The compatibility table (docs/compat.md, `sandbox compat`) ---- */

struct mdbuf {
	int fd;
	size_t len;
	char buf[8192];
};

static void md_flush(struct mdbuf *b)
{
	size_t off = 0;
	while (off < b->len) {
		ssize_t n = write(b->fd, b->buf + off, b->len - off);
		if (n <= 0)
			break;   /* a closed pipe: the reader has gone, nothing to do */
		off += n;
	}
	b->len = 0;
}

static void md_printf(struct mdbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void md_printf(struct mdbuf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->len > sizeof(b->buf) - 1024)
		md_flush(b);
	va_start(ap, fmt);
	int n = vsnprintf(b->buf + b->len, sizeof(b->buf) - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += MIN((size_t)n, sizeof(b->buf) - b->len - 1);
}

/* Pipes would end a Markdown table cell. */
static void md_cell(struct mdbuf *b, const char *s)
{
	for (; s && *s; s++)
		md_printf(b, *s == '|' ? "\\|" : "%c", *s);
}

static const char *errno_name(int err)
{
	const char *n = strerrorname_np(err);
	return n ? n : "?";
}

void syscall_table_write_markdown(int fd)
{
	static struct mdbuf b;   /* 8 KiB: off the sentry thread's stack */
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int full = 0, partial = 0, refused = 0, missing = 0;

	for (int nr = 0; nr < SYSCALL_TABLE_SIZE; nr++) {
		const struct syscall_entry *e = &syscall_table[nr];
		if (e->support == SYS_NONE)
			continue;
		if (e->support == SYS_ERROR)
			refused++;
		else if (!e->fn)
			missing++;
		else if (e->support == SYS_PARTIAL)
			partial++;
		else
			full++;
	}

	pthread_mutex_lock(&lock);
	b.fd = fd;
	b.len = 0;
	md_printf(&b, "# Syscall compatibility (x86-64)\n\n");
	md_printf(&b, "Generated from the syscall table (`syscalls/table.c`) by "
		      "`build/sandbox compat > docs/compat.md`; do not edit by hand. "
		      "\"Implemented\" means the running build has a handler.\n\n"
		      "- **implemented**: Linux's semantics.\n"
		      "- **partial**: implemented; the note says what is missing.\n"
		      "- **refused**: fails on purpose with the errno shown, without "
		      "being logged; the note says why and what gVisor does.\n"
		      "- **not implemented**: returns ENOSYS; the first call of each "
		      "logs `sandbox: unsupported syscall NAME (NR)`.\n\n");
	md_printf(&b, "Totals: %d implemented, %d partial, %d refused, %d not implemented.\n\n",
		  full, partial, refused, missing);
	md_printf(&b, "Numbers 335-423 are unused on x86-64 and return ENOSYS, as on Linux. "
		      "A syscall made through `int 0x80` is never run as a 64-bit call.\n\n");
	md_printf(&b, "| nr | name | status | notes |\n|---:|---|---|---|\n");
	for (int nr = 0; nr < SYSCALL_TABLE_SIZE; nr++) {
		const struct syscall_entry *e = &syscall_table[nr];
		if (e->support == SYS_NONE)
			continue;
		md_printf(&b, "| %d | %s | ", nr, e->name);
		if (e->support == SYS_ERROR)
			md_printf(&b, "refused (%s)", errno_name(-e->err));
		else if (!e->fn)
			md_printf(&b, "not implemented (ENOSYS)");
		else if (e->support == SYS_PARTIAL)
			md_printf(&b, "partial");
		else
			md_printf(&b, "implemented");
		md_printf(&b, " | ");
		if (e->support == SYS_ERROR || (e->fn && e->support == SYS_PARTIAL))
			md_cell(&b, e->note);
		md_printf(&b, " |\n");
	}
	md_flush(&b);
	pthread_mutex_unlock(&lock);
}
