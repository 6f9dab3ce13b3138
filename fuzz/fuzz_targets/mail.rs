//! Mail in: any bytes as an mbox and as one message, through the thread
//! (decode, signatures, first posters) and every mail renderer. Nothing
//! panics, text and replies carry no raw control character, JSON lines are
//! single lines of valid JSON, and every reply has its headers.
#![no_main]

use std::io::{self, BufRead};

use libfuzzer_sys::fuzz_target;
use splatdec::mail::{self, render, reply, Layout, Thread};
use splatdec::render::escape::is_dangerous;
use splatdec::render::text::TextOptions;
use splatdec::Decoder;

fn thread(data: &[u8], layout: Layout, keep: Option<&str>) -> mail::Finished {
    let mut t = Thread::new(Decoder::new());
    if let Some(id) = keep {
        t = t.keep_copies_of(id);
    }
    let r: Box<dyn BufRead + Send> = Box::new(io::Cursor::new(data.to_vec()));
    mail::read_messages(layout, r, "fuzz", &mut |m| {
        if let Ok(m) = m {
            t.add(m)
        }
    })
    .expect("reading memory cannot fail");
    t.finish()
}

fuzz_target!(|data: &[u8]| {
    let _ = mail::sniff(data);
    let opts = TextOptions {
        width: 72,
        full: false,
        explain: true,
        quote: false,
        color: false,
    };
    for layout in [Layout::Mbox, Layout::Message] {
        let f = thread(data, layout, None);
        let head = render::summary_line(&f, &opts);
        assert!(!head.chars().any(|c| is_dangerous(c) && c != '\n'));
        for (i, d) in f.reports.iter().enumerate() {
            let text = render::text(d, i, f.reports.len(), &opts);
            assert!(
                !text
                    .chars()
                    .any(|c| (is_dangerous(c) && c != '\n') || c == '\t'),
                "raw control in text"
            );
            let line = render::jsonl_line(d);
            assert!(!line.contains('\n'), "a JSON line spans lines");
            assert!(!line.chars().any(is_dangerous), "raw control in JSON");
            let v: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
            assert!(v.get("message_id").is_some() && v.get("replies").is_some());
            if let Some(id) = d.first.message_id.as_deref() {
                let g = thread(data, layout, Some(id));
                let target = g.target.as_ref().expect("the message was read");
                let r = reply::reply(&g, target, &opts);
                assert!(r.contains("\nMIME-Version: 1.0\n"), "reply headers");
                assert!(
                    !r.chars().any(|c| c.is_control() && c != '\n'),
                    "raw control in a reply"
                );
            }
        }
    }
});
