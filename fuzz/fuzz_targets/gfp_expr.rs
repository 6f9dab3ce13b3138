//! The GFP expression parser, for every layout: never panics, and a mask
//! it accepts decodes to an expression that parses back to the same bits;
//! the explanation never echoes a control character raw.
#![no_main]

use libfuzzer_sys::fuzz_target;
use splatdec::kernel::gfp;
use splatdec::kernel::version::KernelVersion;
use splatdec::escape::is_dangerous;

const VERSIONS: [(u32, u32); 8] = [
    (4, 4),
    (4, 13),
    (4, 15),
    (5, 4),
    (5, 17),
    (6, 1),
    (6, 10),
    (6, 15),
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let (major, minor) = VERSIONS[usize::from(sel) % VERSIONS.len()];
    let v = KernelVersion::release(major, minor);
    let input = String::from_utf8_lossy(rest);
    // `%pGg` prints nothing for 0, which is no expression.
    if let Some(mask) = gfp::parse(&input, v).ok().filter(|m| m.bits() != 0) {
        let printed = mask.decode();
        let again = gfp::parse(&printed, v).expect("decoded masks parse back");
        assert_eq!(again.bits(), mask.bits(), "{input:?} -> {printed:?}");
    }
    // The explanation behind `splatdec gfp`, with and without a version:
    // it names the input, so it must not echo controls raw.
    for version in [Some(v), None] {
        let out = match gfp::explain(&input, version) {
            Ok(text) => text,
            Err(e) => e.to_string(),
        };
        assert!(
            !out.chars().any(|c| c != '\n' && is_dangerous(c)),
            "raw control in {out:?}"
        );
    }
});
