/* Basic types shared by every layer of the sentry. */
#ifndef SENTRY_TYPES_H
#define SENTRY_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * A guest virtual address. A struct so that the compiler refuses to
 * dereference it or mix it up with a host pointer: our `__user`.
 */
typedef struct {
	uint64_t v;
} gaddr_t;

static inline gaddr_t gaddr(uint64_t v)
{
	return (gaddr_t){ v };
}

static inline gaddr_t gaddr_add(gaddr_t a, uint64_t off)
{
	return (gaddr_t){ a.v + off };
}

#define PAGE_SIZE 4096UL
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN_UP(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define PAGE_ALIGN_DOWN(x) ((x) & PAGE_MASK)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Linux's internal restart codes; never returned to the guest. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

struct task;
struct mm;
struct file;
struct kernel;

#endif
