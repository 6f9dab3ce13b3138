//! Every input a fuzzer (fuzz/, see README "Hardening") crashed on, kept
//! as a plain test: the bytes go through the stage that failed and the
//! whole pipeline.

mod common;

use common::{run_all, run_gfp};

/// gfp_expr: `splatdec gfp` echoed the printed names, NUL bytes and all,
/// into its explanation.
#[test]
fn gfp_explain_echoed_nul_bytes() {
    let data = b"\x07mode:0x14102c0(GFP_KERNEL|__GFP_NOWAR9\0\0\0\0\0\0\0NOMEMALLOC)";
    run_gfp(data);
    run_all(data);
}

/// Not from the fuzzer (its inputs are too short to find it): 100,000
/// nested parentheses overflowed the stack of the recursive-descent GFP
/// parser.
#[test]
fn gfp_deep_nesting_is_an_error_not_a_stack_overflow() {
    use splatdec::kernel::{gfp, version::KernelVersion};
    let v = KernelVersion::release(6, 1);
    let deep = format!("{}GFP_KERNEL{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(gfp::parse(&deep, v).is_err());
    let tildes = format!("{}GFP_KERNEL", "~".repeat(100_000));
    assert!(gfp::parse(&tildes, v).is_err());
    assert!(gfp::explain(&deep, None).is_err());
    // Shallow nesting still works.
    let ok = format!("{}GFP_KERNEL{}", "(".repeat(10), ")".repeat(10));
    assert_eq!(
        gfp::parse(&ok, v).unwrap().bits(),
        gfp::parse("GFP_KERNEL", v).unwrap().bits()
    );
}
