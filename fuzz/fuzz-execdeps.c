/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz what check and run read of a command's first bytes: the "#!" line
 * (execdeps_parse_shebang), PT_INTERP (execdeps_parse_elf_interp), and the verdict
 * execdeps_chain_fault() gives a file holding the input (a memfd, by its /proc/self/fd path).
 * Checked: the #! line is read as the kernel reads it (a model of fs/binfmt_script.c below); a
 * loader found is absolute and lies in the input; the verdict is one execdeps.h lists, judges the
 * file itself only for what is no script, and refuses an ELF header of this host's own class and
 * byte order exactly when its type is no program or its machine another's. */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "execdeps.h"
#include "fuzz.h"
#include "util.h"

/* BINPRM_BUF_SIZE: all of a file's head the kernel looks at for "#!" */
#define KERNEL_BUF 256

static bool spacetab(char c) {
        return c == ' ' || c == '\t';
}

/* The kernel's reading, on its zero-padded buffer: the line ends at the first '\n' of the buffer;
 * without one, it is cut before the buffer's last byte, and refused when the interpreter has not
 * ended (at a blank or a NUL) by that byte. Trailing blanks go, the interpreter is the first word
 * (up to a blank or a NUL), the rest from its next non-blank the one argument, up to a NUL. An
 * empty interpreter (a NUL straight after "#!" and the blanks) is refused here: the kernel opens
 * "" and fails with ENOENT. */
static int kernel_shebang(const uint8_t *data, size_t size, char **ret_interp, char **ret_arg) {
        char buf[KERNEL_BUF] = {};
        size_t end, name, sep, a;
        const char *nl;

        memcpy(buf, data, MIN(size, sizeof(buf)));
        if (buf[0] != '#' || buf[1] != '!')
                return -EINVAL;
        nl = memchr(buf, '\n', sizeof(buf));
        if (nl)
                end = (size_t) (nl - buf);
        else {
                end = sizeof(buf) - 1;
                for (name = 2; name <= end && spacetab(buf[name]); name++)
                        ;
                for (sep = name; sep <= end && !spacetab(buf[sep]) && buf[sep] != '\0'; sep++)
                        ;
                if (sep > end)
                        return -EINVAL;
        }
        while (end > 2 && spacetab(buf[end - 1]))
                end--;
        for (name = 2; name < end && spacetab(buf[name]); name++)
                ;
        for (sep = name; sep < end && !spacetab(buf[sep]) && buf[sep] != '\0'; sep++)
                ;
        if (sep == name)
                return -EINVAL;
        *ret_interp = strndup(buf + name, sep - name);
        fuzz_check(*ret_interp);
        *ret_arg = NULL;
        if (sep < end && buf[sep] != '\0') {
                for (a = sep; a < end && spacetab(buf[a]); a++)
                        ;
                if (a < end) {
                        *ret_arg = strndup(buf + a, end - a);
                        fuzz_check(*ret_arg);
                }
        }
        return 0;
}

/* execdeps trims a '\r' that ends the argument too (the kernel keeps it): arguments that differ
 * only in what ends them, '\r' and blanks, are the same; an empty one is none */
static size_t arg_len(const char *a) {
        size_t n = a ? strlen(a) : 0;

        while (n > 0 && (a[n - 1] == '\r' || spacetab(a[n - 1])))
                n--;
        return n;
}

static bool same_arg(const char *kernel, const char *ours) {
        size_t n = arg_len(kernel);

        return arg_len(ours) == n && (n == 0 || memcmp(kernel, ours, n) == 0);
}

static void check_shebang(const uint8_t *data, size_t size) {
        _cleanup_free_ char *interp = NULL, *arg = NULL, *k_interp = NULL, *k_arg = NULL;
        int r = execdeps_parse_shebang((const char *) data, size, &interp, &arg);
        int k = kernel_shebang(data, size, &k_interp, &k_arg);

        fuzz_check(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r == -ENOMEM)
                return;
        fuzz_check(r == k);
        if (r < 0)
                return;
        fuzz_check(streq(interp, k_interp));
        fuzz_check(same_arg(k_arg, arg));
}

static void check_elf_interp(const uint8_t *data, size_t size) {
        _cleanup_free_ char *interp = NULL;
        int r = execdeps_parse_elf_interp((const char *) data, size, &interp);

        fuzz_check(r == 0 || r == -EINVAL || r == -ENOENT || r == -ENOMEM);
        fuzz_check(r == -EINVAL || (size >= EI_NIDENT && memcmp(data, ELFMAG, SELFMAG) == 0));
        if (r != 0)
                return;
        fuzz_check(interp[0] == '/');
        fuzz_check(memmem(data, size, interp, strlen(interp)));
}

/* What a test of this host's ELF header gives: its class, byte order and machine, 0 where the
 * host's own binary cannot be read */
static unsigned char host_class, host_data;
static uint16_t host_machine;
static bool binfmt_misc;

static void setup(void) {
        unsigned char h[sizeof(Elf32_Ehdr)];
        DIR *d;
        struct dirent *de;
        int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

        if (fd >= 0 && read(fd, h, sizeof(h)) == (ssize_t) sizeof(h)) {
                host_class = h[EI_CLASS];
                host_data = h[EI_DATA];
                memcpy(&host_machine, h + offsetof(Elf32_Ehdr, e_machine), sizeof(host_machine));
        }
        if (fd >= 0)
                close(fd);
        /* any handler there may take what the kernel's own formats refuse: nothing is judged */
        d = opendir("/proc/sys/fs/binfmt_misc");
        while (d && (de = readdir(d)))
                binfmt_misc = binfmt_misc || (!streq(de->d_name, ".") && !streq(de->d_name, "..") &&
                                              !streq(de->d_name, "register") && !streq(de->d_name, "status"));
        if (d)
                closedir(d);
}

static void check_chain_fault(const uint8_t *data, size_t size) {
        static char path[64];
        static int fd = -1;
        _cleanup_free_ char *fault = NULL, *via = NULL, *interp = NULL, *arg = NULL;
        bool elf = size >= SELFMAG && memcmp(data, ELFMAG, SELFMAG) == 0;
        int r;

        if (fd < 0) {
                fd = memfd_create("fuzz-execdeps", MFD_CLOEXEC);
                fuzz_check(fd >= 0);
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                setup();
        }
        fuzz_check(ftruncate(fd, 0) == 0);
        fuzz_check(pwrite(fd, data, size, 0) == (ssize_t) size);

        r = execdeps_chain_fault(path, &fault, &via);
        fuzz_check(r == 0 || r == -ENOENT || r == -EACCES || r == -ENOEXEC || r == -ELIBBAD || r == -ELOOP ||
                   r == -ENOMEM);
        fuzz_check((r == 0 || r == -ENOMEM) == !fault);
        /* the file itself is judged only where it is no #! script the kernel takes */
        if (r == -ENOEXEC || r == -ELIBBAD) {
                fuzz_check(streq(fault, path) && !via);
                fuzz_check(execdeps_parse_shebang((const char *) data, size, &interp, &arg) == -EINVAL);
                fuzz_check(elf == (r == -ELIBBAD));
                fuzz_check(!binfmt_misc);
        }
        if (r == -ENOENT || r == -EACCES || r == -ELOOP)
                fuzz_check(via);
        if (r == -ENOENT && streq(via, path)) {
                fuzz_check(execdeps_parse_shebang((const char *) data, size, &interp, &arg) == 0);
                fuzz_check(streq(interp, fault));
        }
        /* an ELF header of this host's class and byte order: refused for its type and machine */
        if (elf && !binfmt_misc && host_machine != 0 && size >= sizeof(Elf32_Ehdr) && data[EI_CLASS] == host_class &&
            data[EI_DATA] == host_data) {
                uint16_t type, machine;
                memcpy(&type, data + offsetof(Elf32_Ehdr, e_type), sizeof(type));
                memcpy(&machine, data + offsetof(Elf32_Ehdr, e_machine), sizeof(machine));
                fuzz_check((r == -ELIBBAD) == ((type != ET_EXEC && type != ET_DYN) || machine != host_machine));
        }
        /* a class neither loader knows is refused */
        if (elf && !binfmt_misc && size >= EI_NIDENT && data[EI_CLASS] != ELFCLASS32 && data[EI_CLASS] != ELFCLASS64)
                fuzz_check(r == -ELIBBAD);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        check_shebang(data, size);
        check_elf_interp(data, size);
        check_chain_fault(data, size);
        return 0;
}
