//! Mail in (`splatdec mail`, and the default decoder on mail): mboxes,
//! messages, maildirs, compressed or not, each transfer encoding; the first
//! poster of each distinct report and the replies that carry it; the reply
//! file; escaping of hostile headers. Fixtures: fixtures/mail/ (README.md
//! there says where each comes from).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn splatdec() -> Command {
    Command::new(env!("CARGO_BIN_EXE_splatdec"))
}

fn mail(rel: &str) -> String {
    format!("{}/fixtures/mail/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// Run from the repository root so file names in the output are relative.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = splatdec()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("output is UTF-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn jsonl(args: &[&str]) -> Vec<Value> {
    let mut a = vec!["mail", "--format", "jsonl"];
    a.extend_from_slice(args);
    let (code, out, err) = run(&a);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

const REAL_THREAD: &str = "fixtures/mail/real/btrfs-add-missing-dev.t.mbox.gz";
const REAL_QP: &str = "fixtures/mail/real/syzbot-ieee80211-reply-qp.eml";
const SYZBOT_THREAD: &str = "fixtures/mail/real/syzbot-ieee80211.t.mbox.gz";
const JOSEF: &str = "8cad21a9f0bcc2bd29a2b0e89e475687c44b3a59.1598996236.git.josef@toxicpanda.com";
const ANAND: &str = "d3a50895-4ad6-08a5-084f-b4bdec606aa7@oracle.com";

#[test]
fn a_lore_thread_export_decodes_into_its_splat_and_first_poster() {
    let v = jsonl(&[REAL_THREAD]);
    assert_eq!(v.len(), 1, "one distinct splat in the thread");
    let r = &v[0];
    assert_eq!(r["message_id"], JOSEF);
    assert_eq!(r["from"], "Josef Bacik <josef@toxicpanda.com>");
    assert_eq!(r["date"], "2020-09-01T17:40:35-04:00");
    assert_eq!(
        r["subject"],
        "[PATCH 1/4] btrfs: fix lockdep splat in add_missing_dev"
    );
    // Anand Jain's reply quotes the whole splat (format=flowed); David
    // Sterba's quotes only the sign-off and is not a copy.
    assert_eq!(r["replies"], serde_json::json!([ANAND]));
    assert_eq!(r["kind"], "circular_dependency");
    assert_eq!(r["complete"], true);
    assert_eq!(r["source"], format!("{REAL_THREAD}#1"));
    // The usual report fields are all there.
    for f in ["title", "verdict", "gfp_walk", "walk_rules", "backtrace"] {
        assert!(r.get(f).is_some(), "field {f} missing");
    }
}

#[test]
fn a_quoted_printable_reply_quoting_a_syzbot_splat_is_whole() {
    let v = jsonl(&[REAL_QP]);
    assert_eq!(v.len(), 1);
    let r = &v[0];
    assert_eq!(r["kind"], "circular_dependency");
    assert_eq!(r["complete"], true, "{}", r["problems"]);
    assert_eq!(
        r["title"],
        "possible deadlock in ieee80211_remove_interfaces"
    );
    assert_eq!(r["from"], "Eric Dumazet <edumazet@google.com>");
    // Soft line breaks inside frames were joined by the QP decoder: the
    // `[inline]` frames and file:line tags are intact.
    let bt = r["backtrace"].as_array().unwrap();
    assert!(bt
        .iter()
        .any(|f| f["function"] == "mac80211_hwsim_del_radio"
            && f["file"] == "drivers/net/wireless/virtual/mac80211_hwsim.c"));
    // Two inputs are one thread: both splats, each with its own poster.
    // Ordered by date, not by the order of the inputs.
    let both = jsonl(&[REAL_QP, REAL_THREAD]);
    assert_eq!(both.len(), 2);
    assert_eq!(both[0]["message_id"], JOSEF);
    assert_eq!(both[1]["message_id"], r["message_id"]);
}

#[test]
fn a_syzbot_report_and_a_quoted_printable_reply_are_one_report() {
    let v = jsonl(&[SYZBOT_THREAD]);
    assert_eq!(v.len(), 1, "the reply's quote is the same report");
    assert_eq!(
        v[0]["message_id"],
        "6789d55f.050a0220.20d369.004e.GAE@google.com"
    );
    assert_eq!(
        v[0]["from"],
        "syzbot <syzbot+5b9196ecf74447172a9a@syzkaller.appspotmail.com>"
    );
    assert_eq!(v[0]["date"], "2025-01-16T19:58:23-08:00");
    assert_eq!(
        v[0]["replies"],
        serde_json::json!(["CANn89iJiQeF=7g0wFVOZ=TMUnL-7U0xvw4ZQL5H5f4+ChBp__w@mail.gmail.com"])
    );
    // The reply alone is its own first poster; with the thread it is a
    // reply (read twice, listed once).
    let both = jsonl(&[REAL_QP, SYZBOT_THREAD]);
    assert_eq!(both.len(), 1);
    assert_eq!(both[0]["message_id"], v[0]["message_id"]);
    assert_eq!(both[0]["replies"], v[0]["replies"]);
}

/// The plain fixture's report, decoded directly: every encoding of it must
/// give the same signature-relevant facts.
fn plain_report(name: &str) -> Value {
    let path = format!("{}/fixtures/rules/{name}", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = run(&["--format", "jsonl", &path]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(out.lines().next().unwrap()).unwrap()
}

fn same_report(a: &Value, b: &Value, what: &str) {
    for f in [
        "kind",
        "title",
        "complete",
        "acquiring",
        "holding",
        "held",
        "backtrace",
        "verdict",
    ] {
        let strip = |v: &Value| {
            let mut v = v.clone();
            strip_lines(&mut v);
            v
        };
        assert_eq!(strip(&a[f]), strip(&b[f]), "{what}: field {f} differs");
    }
}

/// Line numbers differ between a log and a message; nothing else may.
fn strip_lines(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("source_line");
            m.remove("line");
            for x in m.values_mut() {
                strip_lines(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_lines),
        _ => {}
    }
}

#[test]
fn every_transfer_encoding_gives_the_report_the_log_gives() {
    let plain = plain_report("recursive-same-instance.txt");
    for f in [
        "multipart-base64-attachment.eml",
        "qp-soft-breaks.eml",
        "flowed.eml",
        "hostile-headers.eml",
    ] {
        let v = jsonl(&[&mail(f)]);
        assert_eq!(v.len(), 1, "{f}");
        same_report(&v[0], &plain, f);
    }
    let qp = &jsonl(&[&mail("qp-soft-breaks.eml")])[0];
    assert_eq!(
        qp["from"], "Ren\u{e9} Tester <rene@example.org>",
        "RFC 2047 name"
    );
    assert_eq!(qp["subject"], "r\u{e9}gression: recursive locking in mydrv");
    let inc = plain_report("inconsistent-softirq.txt");
    // A base64 body, and a gzip-compressed log attached as
    // application/gzip.
    for f in ["base64-body.eml", "gzip-attachment.eml"] {
        let v = jsonl(&[&mail(f)]);
        assert_eq!(v.len(), 1, "{f}");
        same_report(&v[0], &inc, f);
    }
}

#[test]
fn first_poster_by_date_and_replies_by_signature() {
    let v = jsonl(&[&mail("thread.mbox")]);
    assert_eq!(v.len(), 2);
    // The maintainer's reply is first in the file but dated later.
    assert_eq!(v[0]["message_id"], "thread-1@example.org");
    assert_eq!(v[0]["source"], format!("{}#2", mail("thread.mbox")));
    // The full quote, and the quote cut after 8 lines (its own signature,
    // incomplete, same kind and title) are both copies of it.
    assert_eq!(
        v[0]["replies"],
        serde_json::json!(["thread-2@example.org", "thread-4@example.org"])
    );
    assert_eq!(v[1]["message_id"], "thread-3@example.org");
    assert_eq!(v[1]["kind"], "inconsistent_lock_state");
    // A message without a Date sorts after the dated ones and still counts.
    assert_eq!(v[1]["replies"], serde_json::json!(["thread-5@example.org"]));
}

#[test]
fn a_maildir_is_read_from_new_and_cur() {
    let v = jsonl(&[&mail("maildir")]);
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["message_id"], "thread-1@example.org");
    assert_eq!(v[0]["replies"], serde_json::json!(["thread-2@example.org"]));
    assert_eq!(v[1]["message_id"], "thread-3@example.org");
    let (code, out, _) = run(&["mail", &mail("maildir")]);
    assert_eq!(code, 0);
    assert!(out.starts_with("3 messages, 2 distinct reports"), "{out}");
}

/// A scratch directory for files a test writes.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("splatdec-mail-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_default_decoder_reads_mail_by_content() {
    let d = scratch("default");
    // No mail extension: recognised by its content.
    let p = d.join("thread.log");
    std::fs::copy(mail("thread.mbox"), &p).unwrap();
    let (code, out, err) = run(&["--format", "jsonl", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let v: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v.len(), 2, "each distinct report once");
    assert_eq!(v[0]["message_id"], "thread-1@example.org");
    let (code, text, _) = run(&[p.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(text.contains("first posted in"), "{text}");
    let (_, doc, _) = run(&["--format", "json", p.to_str().unwrap()]);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(doc["schema"], "splatdec/1");
    assert_eq!(doc["reports"][1]["message_id"], "thread-3@example.org");
    assert_eq!(doc["reports"][1]["kind"], "inconsistent_lock_state");
    let (_, mdoc, _) = run(&["mail", "--format", "json", p.to_str().unwrap()]);
    assert_eq!(serde_json::from_str::<Value>(&mdoc).unwrap(), doc);
    // Standard input too, and through gzip.
    let mut child = splatdec()
        .args(["--format", "jsonl"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let gz = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(REAL_THREAD)).unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&gz).unwrap();
    let out = child.wait_with_output().unwrap();
    let line: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(line["message_id"], JOSEF);
    assert_eq!(line["source"], "-#1");
    // check and graph see each distinct report once.
    let (code, out, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.starts_with("splatdec check: 2 report(s)"), "{out}");
    // A log is still a log.
    let (code, out, _) = run(&["fixtures/rules/recursive-same-instance.txt"]);
    assert_eq!(code, 0);
    assert!(!out.contains("first posted in"));
}

#[test]
fn errors_name_the_file_and_the_rest_is_read() {
    let d = scratch("errors");
    // A thread export cut short: the messages before the break are read.
    let broken = d.join("broken.t.mbox.gz");
    let gz = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(REAL_THREAD)).unwrap();
    std::fs::write(&broken, &gz[..gz.len() * 3 / 4]).unwrap();
    let missing = d.join("missing.mbox");
    let (code, out, err) = run(&[
        "mail",
        "--format",
        "jsonl",
        missing.to_str().unwrap(),
        broken.to_str().unwrap(),
        "fixtures/rules/recursive-same-instance.txt",
        &mail("flowed.eml"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.mbox: No such file"), "{err}");
    assert!(
        err.contains("broken.t.mbox.gz: broken gzip stream"),
        "{err}"
    );
    assert!(
        err.contains("recursive-same-instance.txt: neither an mbox nor a mail message"),
        "{err}"
    );
    let v: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v.len(), 2, "the readable messages are still read: {out}");
    assert_eq!(v[0]["message_id"], JOSEF);
    assert_eq!(v[1]["message_id"], "flowed-1@example.org");
    let (code, _, err) = run(&["mail", "--reply", "<nope@example.org>", REAL_THREAD]);
    assert_eq!(code, 2);
    assert!(err.contains("no message <nope@example.org>"), "{err}");
}

#[test]
fn hostile_headers_are_escaped_everywhere() {
    let (code, text, _) = run(&["mail", &mail("hostile-headers.eml")]);
    assert_eq!(code, 0);
    assert!(!text.contains('\x1b') && !text.contains('\u{202e}') && !text.contains('\x07'));
    assert!(text.contains("\\x1b[31mred"), "{text}");
    let (_, out, _) = run(&["mail", "--format", "jsonl", &mail("hostile-headers.eml")]);
    assert!(!out.contains('\x1b') && !out.contains('\u{202e}'));
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["subject"], "\x1b[31mred\x1b[0m <script>alert(1)</script>");
    assert_eq!(v["from"], "Evil \u{202e}resu <evil@example.org>");
    let (_, reply, _) = run(&[
        "mail",
        "--reply",
        "evil\x1b]0;title\x07@example.org",
        &mail("hostile-headers.eml"),
    ]);
    assert!(
        !reply.chars().any(|c| c.is_control() && c != '\n'),
        "{reply}"
    );
    assert!(reply.contains("Subject: Re: \\x1b[31mred"));
}

/// What every reply must be: headers then body, plain text a mail client
/// takes as it is.
fn check_reply(reply: &str) {
    let (head, body) = reply.split_once("\n\n").expect("headers, blank line, body");
    assert!(head.lines().all(|l| l.len() <= 998));
    assert_eq!(
        head.matches("\nSubject: ").count() + usize::from(head.starts_with("Subject: ")),
        1
    );
    assert!(head.contains("\nMIME-Version: 1.0\n"));
    let charset = if reply.is_ascii() {
        "us-ascii"
    } else {
        "utf-8"
    };
    assert!(head.contains(&format!("Content-Type: text/plain; charset={charset}")));
    for l in body.lines() {
        assert!(!l.ends_with(' '), "trailing space: {l:?}");
        assert!(!l.chars().any(|c| c.is_control()), "control: {l:?}");
        // Our own prose and decode are wrapped; quoted kernel lines are not.
        if !l.starts_with('>') {
            assert!(l.chars().count() <= 72, "over 72 columns: {l:?}");
        }
    }
}

#[test]
fn a_reply_is_ready_to_send() {
    let (code, reply, err) = run(&["mail", "--reply", &format!("<{ANAND}>"), REAL_THREAD]);
    assert_eq!(code, 0, "{err}");
    check_reply(&reply);
    assert!(reply.starts_with("To: Anand Jain <anand.jain@oracle.com>\n"));
    assert!(
        reply.contains("\nSubject: Re: [PATCH 1/4] btrfs: fix lockdep splat in add_missing_dev\n")
    );
    assert!(!reply.contains("Re: Re:"));
    assert!(reply.contains(&format!("\nIn-Reply-To: <{ANAND}>\n")));
    assert!(
        reply.contains(&format!(" <{JOSEF}>\n <{ANAND}>\n")),
        "References end with both"
    );
    // The splat as Anand quoted it, quoted once more; the decode below.
    assert!(reply.contains(">> WARNING: possible circular locking dependency detected\n"));
    assert!(reply
        .contains("\n[circular_dependency] possible deadlock in __btrfs_release_delayed_node\n"));
    // A reply to David Sterba's message goes to his Reply-To, and he
    // posted no splat.
    let (code, reply, _) = run(&[
        "mail",
        "--reply",
        "20200903111743.GQ28318@twin.jikos.cz",
        REAL_THREAD,
    ]);
    assert_eq!(code, 0);
    check_reply(&reply);
    assert!(reply.starts_with("To: dsterba@suse.cz\n"), "{reply}");
    assert!(reply.contains("found no lockdep report"));
    // Non-ASCII headers give a UTF-8 reply.
    let (_, reply, _) = run(&[
        "mail",
        "--reply",
        "qp-1@example.org",
        &mail("qp-soft-breaks.eml"),
    ]);
    check_reply(&reply);
    assert!(reply.contains("charset=utf-8"));
    assert!(reply.contains("Subject: Re: r\u{e9}gression"));
}

#[test]
fn mail_snapshots() {
    let (_, text, _) = run(&["mail", REAL_THREAD]);
    insta::assert_snapshot!("mail_real_thread.text", text);
    let (_, jsonl, _) = run(&["mail", "--format", "jsonl", "fixtures/mail/thread.mbox"]);
    // One object per line: pretty-printed here so a change reads as a diff.
    let pretty: Vec<String> = jsonl
        .lines()
        .map(|l| serde_json::to_string_pretty(&serde_json::from_str::<Value>(l).unwrap()).unwrap())
        .collect();
    insta::assert_snapshot!("mail_thread.jsonl", pretty.join("\n"));
    let (_, reply, _) = run(&["mail", "--reply", ANAND, REAL_THREAD]);
    insta::assert_snapshot!("mail_real_thread.reply", reply);
}

#[test]
fn output_file_and_quoting() {
    let d = scratch("output");
    let out = d.join("reply.txt");
    let (code, stdout, err) = run(&[
        "mail",
        "--reply",
        ANAND,
        "-o",
        out.to_str().unwrap(),
        REAL_THREAD,
    ]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{err}");
    let (_, direct, _) = run(&["mail", "--reply", ANAND, REAL_THREAD]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), direct);
    let (code, quoted, _) = run(&["mail", "--quote", "--width", "72", REAL_THREAD]);
    assert_eq!(code, 0);
    for l in quoted.lines() {
        assert!(l == ">" || l.starts_with("> "), "{l:?}");
        if !l.contains("message-id: <") {
            assert!(l.chars().count() <= 72, "{l:?}");
        }
    }
}

/// Several reports of one signature in one message (the hung tasks of one
/// khungtaskd round; a reply quoting the top of a splat, then pasting it
/// whole) are folded into one, and the output says how many more there
/// are, in text, JSON and Markdown; the one shown is the first complete
/// copy (review 3: a message with 5 hung tasks printed `report 1 of 1`).
#[test]
fn reports_folded_within_one_message_are_counted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let full =
        std::fs::read_to_string(root.join("fixtures/pasted/nbsp-thunderbird-prefix-indent.txt"))
            .unwrap()
            .replace('\u{a0}', " ");
    let top: String = full.lines().take(12).map(|l| format!("> {l}\n")).collect();
    let body = format!("{top}\nThe whole splat, seen twice:\n\n{full}\n{full}");
    let eml = format!(
        "From: A Poster <a@example.org>\nTo: list@example.org\nSubject: splat\n\
         Message-ID: <fold-1@example.org>\nDate: Mon, 2 Mar 2026 10:40:45 -0500\n\
         MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n\n{body}"
    );
    let d = scratch("fold");
    let p = d.join("fold.eml");
    std::fs::write(&p, eml).unwrap();
    let p = p.to_str().unwrap();
    let v = jsonl(&[p]);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["more_in_message"], 2);
    assert_eq!(v[0]["complete"], true, "the complete copy is shown");
    let (_, text, _) = run(&[p]);
    assert!(
        text.contains("+2 more reports of this signature in this message"),
        "{text}"
    );
    let (_, md, _) = run(&["--format", "markdown", p]);
    assert!(
        md.contains("+2 more reports of this signature in this message"),
        "{md}"
    );
    let (_, md, _) = run(&["mail", "--format", "markdown", p]);
    assert!(
        md.contains("+2 more reports of this signature in this message"),
        "{md}"
    );
}
