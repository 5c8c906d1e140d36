"""The few facts of an ELF file that decide whether forkless can serve it.

Read from the file itself, never by running it (ldd runs the program's own
loader): class and machine, PT_INTERP (dynamic or static), DT_NEEDED and the
run paths, the GNU property note (CET: IBT and SHSTK), Go's build-info section
and build-id note, and the names of defined functions in .dynsym and .symtab.
Python 3 standard library only.
"""
import mmap
import struct

ELF_MAGIC = b"\x7fELF"
ELFCLASS64, ELFDATA2LSB = 2, 1
MACHINES = {3: "i386", 62: "x86-64", 40: "arm", 183: "aarch64", 243: "riscv", 8: "mips",
            21: "ppc64", 22: "s390"}
PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_LOAD, PT_GNU_PROPERTY = 2, 3, 4, 1, 0x6474E553
DT_NULL, DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 1, 5, 15, 29
SHT_SYMTAB, SHT_DYNSYM = 2, 11
STT_FUNC = 2
NT_GNU_PROPERTY_TYPE_0 = 5
GNU_PROPERTY_X86_FEATURE_1_AND = 0xC0000002
X86_FEATURE_1_IBT, X86_FEATURE_1_SHSTK = 1, 2
NT_GO_BUILDID = 4  # note name "Go"


class NotElf(Exception):
    pass


class ElfFile:
    """Parsed headers of one 64-bit little-endian ELF file (what x86-64 Linux runs)."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as handle:
            head = handle.read(64)
            if len(head) < 20 or head[:4] != ELF_MAGIC:
                raise NotElf(f"{path}: not an ELF file")
            self.elf_class, self.data = head[4], head[5]
            self.machine_number = struct.unpack_from("<H", head, 18)[0]
            self.machine = MACHINES.get(self.machine_number, f"machine {self.machine_number}")
            self.is_64 = self.elf_class == ELFCLASS64
            if not self.is_64 or self.data != ELFDATA2LSB:
                self._empty()
                return
            self.map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self._read_headers()

    def _empty(self):
        self.interp, self.needed, self.runpath, self.has_dynamic = None, [], [], False
        self.sections, self.segments, self.cet = {}, [], set()
        self.map = None

    def _read_headers(self):
        m = self.map
        (self.type, _, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum,
         shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", m, 16)
        self.segments = [struct.unpack_from("<IIQQQQQQ", m, phoff + i * phentsize) for i in range(phnum)]
        self.sections = {}
        if shoff and shnum and shstrndx < shnum:
            raw = [struct.unpack_from("<IIQQQQIIQQ", m, shoff + i * shentsize) for i in range(shnum)]
            names_offset = raw[shstrndx][4]
            for header in raw:
                self.sections[self._cstring(names_offset + header[0])] = header
            self._raw_sections = raw
        else:
            self._raw_sections = []
        self.interp = None
        self.has_dynamic = False
        self.cet = set()
        for p_type, _, p_offset, _, _, p_filesz, _, _ in self.segments:
            if p_type == PT_INTERP:
                self.interp = m[p_offset:p_offset + p_filesz].rstrip(b"\0").decode(errors="replace")
            elif p_type == PT_DYNAMIC:
                self.has_dynamic = True
            elif p_type == PT_GNU_PROPERTY:
                self._read_properties(p_offset, p_filesz)
        self.needed, self.runpath = self._read_dynamic()

    def _cstring(self, offset):
        end = self.map.find(b"\0", offset)
        return self.map[offset:end if end >= 0 else len(self.map)].decode(errors="replace")

    def _file_offset(self, address):
        for p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ in self.segments:
            if p_type == PT_LOAD and p_vaddr <= address < p_vaddr + p_filesz:
                return p_offset + address - p_vaddr
        return None

    def _read_dynamic(self):
        dynamic = next((s for s in self.segments if s[0] == PT_DYNAMIC), None)
        if dynamic is None:
            return [], []
        entries, at, end = [], dynamic[2], dynamic[2] + dynamic[5]
        while at + 16 <= end:
            tag, value = struct.unpack_from("<qQ", self.map, at)
            if tag == DT_NULL:
                break
            entries.append((tag, value))
            at += 16
        strtab = next((self._file_offset(v) for t, v in entries if t == DT_STRTAB), None)
        if strtab is None:
            return [], []
        needed = [self._cstring(strtab + v) for t, v in entries if t == DT_NEEDED]
        runpath = []
        for t, v in entries:
            if t in (DT_RUNPATH, DT_RPATH):
                runpath += [p for p in self._cstring(strtab + v).split(":") if p]
        return needed, runpath

    def _read_properties(self, offset, size):
        at, end = offset, offset + size
        while at + 12 <= end:
            namesz, descsz, note_type = struct.unpack_from("<III", self.map, at)
            name_at = at + 12
            desc_at = name_at + ((namesz + 3) & ~3)
            if note_type == NT_GNU_PROPERTY_TYPE_0 and self.map[name_at:name_at + 4] == b"GNU\0":
                p, p_end = desc_at, desc_at + descsz
                while p + 8 <= p_end:
                    pr_type, pr_datasz = struct.unpack_from("<II", self.map, p)
                    if pr_type == GNU_PROPERTY_X86_FEATURE_1_AND and pr_datasz >= 4:
                        bits = struct.unpack_from("<I", self.map, p + 8)[0]
                        if bits & X86_FEATURE_1_IBT:
                            self.cet.add("IBT")
                        if bits & X86_FEATURE_1_SHSTK:
                            self.cet.add("SHSTK")
                    p += 8 + ((pr_datasz + 7) & ~7)  # 8-byte aligned on 64-bit
            at = desc_at + ((descsz + 7) & ~7) if note_type == NT_GNU_PROPERTY_TYPE_0 else \
                desc_at + ((descsz + 3) & ~3)

    @property
    def is_go(self):
        """Go's linker writes .go.buildinfo (1.13+) and, in most builds, a .note.go.buildid."""
        return ".go.buildinfo" in self.sections or ".note.go.buildid" in self.sections

    @property
    def linking(self):
        if not self.is_64:
            return "unknown"
        if self.interp:
            return "dynamic"
        if not self.has_dynamic:
            return "static"
        # No loader named: a shared library (it needs others) or a static PIE (it needs none).
        return "shared-library" if self.needed else "static-pie"

    def defined_functions(self, wanted):
        """The names in `wanted` that this file defines as functions (.dynsym or .symtab)."""
        found = set()
        if self.map is None:
            return found
        want = {name.encode() for name in wanted}
        for header in self._raw_sections:
            sh_type, sh_offset, sh_size, sh_link, sh_entsize = header[1], header[4], header[5], header[6], header[9]
            if sh_type not in (SHT_SYMTAB, SHT_DYNSYM) or not sh_entsize or sh_link >= len(self._raw_sections):
                continue
            strtab = self._raw_sections[sh_link][4]
            for at in range(sh_offset, sh_offset + sh_size - sh_entsize + 1, sh_entsize):
                st_name, st_info, _, st_shndx = struct.unpack_from("<IBBH", self.map, at)
                if st_shndx == 0 or (st_info & 0xF) != STT_FUNC or not st_name:
                    continue
                start = strtab + st_name
                end = self.map.find(b"\0", start)
                name = self.map[start:end]
                if name in want:
                    found.add(name.decode())
        return found
