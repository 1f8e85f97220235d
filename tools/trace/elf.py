"""Just enough of ELF64 (little-endian) to find symbols and read strings by address."""
import collections
import struct

Segment = collections.namedtuple("Segment", "vaddr offset filesz memsz")


class ELF:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.data = f.read()
        if self.data[:4] != b"\x7fELF" or self.data[4] != 2 or self.data[5] != 1:
            raise ValueError(f"{path}: not a little-endian 64-bit ELF file")
        (self.phoff, self.shoff, _flags, _ehsize, self.phentsize, self.phnum, self.shentsize, self.shnum,
         _shstrndx) = struct.unpack_from("<QQIHHHHHH", self.data, 32)
        self._symbols = None

    def segments(self):
        out = []
        for i in range(self.phnum):
            p_type, _, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from(
                "<IIQQQQQQ", self.data, self.phoff + i * self.phentsize)
            if p_type == 1:   # PT_LOAD
                out.append(Segment(p_vaddr, p_offset, p_filesz, p_memsz))
        return out

    def sections(self):
        out = []
        for i in range(self.shnum):
            out.append(struct.unpack_from("<IIQQQQIIQQ", self.data, self.shoff + i * self.shentsize))
        return out

    def symbols(self):
        """Name -> address of every symbol (the last one of a name wins)."""
        if self._symbols is None:
            self._symbols = {}
            sections = self.sections()
            for sh in sections:
                if sh[1] != 2:    # SHT_SYMTAB
                    continue
                strtab = sections[sh[6]]
                for off in range(sh[4], sh[4] + sh[5], 24):
                    name, _, _, _, value, _ = struct.unpack_from("<IBBHQQ", self.data, off)
                    if name:
                        self._symbols[self._string_at(strtab[4] + name)] = value
        return self._symbols

    def _string_at(self, offset):
        end = self.data.index(b"\0", offset)
        return self.data[offset:end].decode("utf-8", "replace")

    def string(self, address, limit=80):
        """The NUL-terminated string at address in the file's loaded image, or None."""
        for seg in self.segments():
            if seg.vaddr <= address < seg.vaddr + seg.filesz:
                start = seg.offset + address - seg.vaddr
                end = self.data.find(b"\0", start, start + limit)
                return self.data[start:end if end >= 0 else start + limit].decode("utf-8", "replace")
        return None
