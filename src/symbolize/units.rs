//! DWARF lookups one compilation unit at a time.
//!
//! `addr2line::Context` over a whole image reads every unit's header,
//! abbreviations and line-program header when it is built: for Debian's
//! 6.12 vmlinux that was most of the open time and 167 MiB of heap by the
//! first frame (33 MiB this way). Here `.debug_aranges` says which unit holds an address, and
//! a context is built over that unit alone (its `.debug_info` bytes; every
//! other section whole) the first time one of its addresses is looked up.
//! What the unit index cannot serve goes to one context over the whole
//! image, built on first need: an address no range covers, a unit whose
//! DIEs refer into other units (`DW_FORM_ref_addr`, as LTO builds emit),
//! a unit that is not a plain compile unit, or a lookup the unit alone
//! answers with nothing.

use std::collections::HashMap;

use gimli::Reader as _;

pub(super) type Reader<'a> = gimli::EndianSlice<'a, gimli::RunTimeEndian>;
pub(super) type Ctx<'a> = addr2line::Context<Reader<'a>>;

/// One image's DWARF, parsed as far as lookups have needed.
pub(super) struct Units<'a> {
    /// Every debug section by name (empty when absent).
    sections: HashMap<&'static str, &'a [u8]>,
    endian: gimli::RunTimeEndian,
    /// `.debug_aranges`: (start, end, unit offset in `.debug_info`), by start.
    ranges: Vec<(u64, u64, usize)>,
    /// Contexts of the units looked up so far; None: the unit needs the
    /// whole image.
    units: HashMap<usize, Option<Ctx<'a>>>,
    /// The whole image's context, once needed.
    whole: Option<Result<Ctx<'a>, String>>,
}

/// Forms that point outside the unit they are in.
fn is_cross_unit(form: u64) -> bool {
    matches!(
        gimli::DwForm(form as u16),
        gimli::DW_FORM_ref_addr
            | gimli::DW_FORM_ref_sup4
            | gimli::DW_FORM_ref_sup8
            | gimli::DW_FORM_GNU_ref_alt
            | gimli::DW_FORM_indirect
    ) || form > u64::from(u16::MAX)
}

impl<'a> Units<'a> {
    /// Index `sections` (debug section name to bytes). With no usable
    /// `.debug_aranges`, the whole-image context is built now, so that its
    /// errors are the open's.
    pub(super) fn new(
        sections: HashMap<&'static str, &'a [u8]>,
        endian: gimli::RunTimeEndian,
    ) -> Result<Units<'a>, String> {
        let mut u = Units {
            sections,
            endian,
            ranges: Vec::new(),
            units: HashMap::new(),
            whole: None,
        };
        u.ranges = u.read_aranges().unwrap_or_default();
        u.ranges.sort_unstable();
        if u.ranges.is_empty() {
            let whole = u.build(None)?;
            u.whole = Some(Ok(whole));
        }
        Ok(u)
    }

    fn section(&self, name: &str) -> &'a [u8] {
        self.sections.get(name).copied().unwrap_or(&[])
    }

    fn read_aranges(&self) -> Result<Vec<(u64, u64, usize)>, gimli::Error> {
        let aranges = gimli::DebugAranges::new(self.section(".debug_aranges"), self.endian);
        let mut out = Vec::new();
        let mut headers = aranges.headers();
        while let Some(h) = headers.next()? {
            let unit = h.debug_info_offset().0;
            let mut entries = h.entries();
            while let Some(e) = entries.next()? {
                if e.length() > 0 {
                    out.push((e.address(), e.address().saturating_add(e.length()), unit));
                }
            }
        }
        Ok(out)
    }

    /// A context over the unit at `.debug_info` offset `unit` alone, or
    /// over the whole image (None).
    fn build(&self, unit: Option<usize>) -> Result<Ctx<'a>, String> {
        let info = match unit {
            Some(off) => self.unit_bytes(off).ok_or("unit out of bounds")?,
            None => self.section(".debug_info"),
        };
        let load = |id: gimli::SectionId| -> Result<Reader<'a>, gimli::Error> {
            let data = match id {
                gimli::SectionId::DebugInfo => info,
                // A lone unit's ranges come from its root DIE.
                gimli::SectionId::DebugAranges if unit.is_some() => &[],
                id => self.section(id.name()),
            };
            Ok(gimli::EndianSlice::new(data, self.endian))
        };
        let dwarf = gimli::Dwarf::load(load).map_err(|e| e.to_string())?;
        addr2line::Context::from_dwarf(dwarf).map_err(|e| e.to_string())
    }

    /// The bytes of the unit at `off`, header included.
    fn unit_bytes(&self, off: usize) -> Option<&'a [u8]> {
        let info = self.section(".debug_info");
        let mut r = gimli::EndianSlice::new(info.get(off..)?, self.endian);
        let (len, format) = r.read_initial_length().ok()?;
        let header = if format == gimli::Format::Dwarf64 {
            12
        } else {
            4
        };
        let end = off.checked_add(header)?.checked_add(len)?;
        info.get(off..end)
    }

    /// Whether the unit at `off` can be read alone: a compile unit whose
    /// abbreviations use no form that points into another unit.
    fn alone(&self, off: usize) -> bool {
        let Some(bytes) = self.unit_bytes(off) else {
            return false;
        };
        let info = gimli::DebugInfo::new(bytes, self.endian);
        let Ok(Some(header)) = info.units().next() else {
            return false;
        };
        if !matches!(header.type_(), gimli::UnitType::Compilation) {
            return false;
        }
        let abbrev = self.section(".debug_abbrev");
        let Some(rest) = abbrev.get(header.debug_abbrev_offset().0..) else {
            return false;
        };
        let mut r = gimli::EndianSlice::new(rest, self.endian);
        let scan = |r: &mut Reader<'a>| -> Result<bool, gimli::Error> {
            loop {
                if r.read_uleb128()? == 0 {
                    return Ok(true);
                }
                r.read_uleb128()?; // tag
                r.read_u8()?; // children
                loop {
                    let attr = r.read_uleb128()?;
                    let form = r.read_uleb128()?;
                    if attr == 0 && form == 0 {
                        break;
                    }
                    if form == u64::from(gimli::DW_FORM_implicit_const.0) {
                        r.read_sleb128()?;
                    }
                    if is_cross_unit(form) {
                        return Ok(false);
                    }
                }
            }
        };
        scan(&mut r).unwrap_or(false)
    }

    /// The unit holding `probe` by `.debug_aranges`.
    fn unit_of(&self, probe: u64) -> Option<usize> {
        let i = self.ranges.partition_point(|r| r.0 <= probe);
        let r = self.ranges.get(i.checked_sub(1)?)?;
        (probe < r.1).then_some(r.2)
    }

    /// The context for `probe`'s unit alone, when it can serve.
    fn unit_ctx(&mut self, probe: u64) -> Option<&Ctx<'a>> {
        let off = self.unit_of(probe)?;
        if !self.units.contains_key(&off) {
            let ctx = if self.alone(off) {
                self.build(Some(off)).ok()
            } else {
                None
            };
            self.units.insert(off, ctx);
        }
        self.units.get(&off)?.as_ref()
    }

    /// The whole image's context, built once.
    fn whole_ctx(&mut self) -> Result<&Ctx<'a>, String> {
        if self.whole.is_none() {
            self.whole = Some(self.build(None));
        }
        match self.whole.as_ref() {
            Some(Ok(c)) => Ok(c),
            Some(Err(e)) => Err(e.clone()),
            None => Err("no DWARF context".to_string()),
        }
    }

    /// `f` over the context of `probe`'s unit; over the whole image's when
    /// the unit alone cannot serve or `f` finds nothing there.
    pub(super) fn with<T>(
        &mut self,
        probe: u64,
        f: impl Fn(&Ctx<'a>) -> Result<T, String>,
        found: impl Fn(&T) -> bool,
    ) -> Result<T, String> {
        if let Some(ctx) = self.unit_ctx(probe) {
            match f(ctx) {
                Ok(v) if found(&v) => return Ok(v),
                // An error in the unit is the answer: the whole image's
                // context would read the same bytes.
                Err(e) => return Err(e),
                Ok(_) => {}
            }
        }
        f(self.whole_ctx()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_into_other_units_need_the_whole_image() {
        assert!(is_cross_unit(u64::from(gimli::DW_FORM_ref_addr.0)));
        assert!(is_cross_unit(u64::from(gimli::DW_FORM_GNU_ref_alt.0)));
        assert!(!is_cross_unit(u64::from(gimli::DW_FORM_ref4.0)));
        assert!(!is_cross_unit(u64::from(gimli::DW_FORM_strp.0)));
    }
}
