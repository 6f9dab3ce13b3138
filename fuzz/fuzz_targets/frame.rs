//! The frame parser: every line of the input is classified with a running
//! stack context, and parsed as a lone frame; a frame's fields are always
//! consistent with the text it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use splatdec::model::FrameContext;
use splatdec::vocab::frame::{base_name, parse_frame, parse_trace_line, TraceLine};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut ctx = FrameContext::Task;
    for (no, line) in text.split('\n').enumerate() {
        let no = no as u64 + 1;
        match parse_trace_line(line, no, &mut ctx) {
            TraceLine::Frame(f) | TraceLine::Register(Some(f)) => {
                assert_eq!(f.source_line, no);
                assert!(!f.function.is_empty() || f.address.is_some() || f.file.is_some());
                // `base` is the function with compiler suffixes removed.
                assert!(f.function.starts_with(base_name(&f.function)));
            }
            TraceLine::Register(None) | TraceLine::Marker | TraceLine::Other => {}
        }
        let _ = parse_frame(line, ctx, no);
        let _ = base_name(line);
    }
});
