//! `beian check`: runs the built binary for every kind, valid and invalid, and checks the
//! exit code, the normalised value on stdout and the two-language reason on stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn check(kind: &str, value: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_beian"))
        .args(["check", kind, value])
        .output()
        .expect("run beian")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("utf-8 output")
}

#[test]
fn valid_values_print_their_normalised_form() {
    let cases = [
        ("resident-id", " 11010519491231002x ", "11010519491231002X"),
        (
            "credit-code",
            "9144 0300 7084 6113 6t",
            "91440300708461136T",
        ),
        ("mobile", "+86 138-1234-5678", "13812345678"),
        ("domain", "WWW.例子.中国.", "www.xn--fsqu00a.xn--fiqs8s"),
        (
            "icp-number",
            "浙ＩＣＰ备２０２１０１２３４５号－１",
            "浙ICP备2021012345号-1",
        ),
        ("office-phone", "(0571) 8888 8888", "0571-88888888"),
        ("email", "Zhang@Example.COM", "Zhang@example.com"),
    ];
    for (kind, input, want) in cases {
        let out = check(kind, input);
        assert_eq!(out.status.code(), Some(0), "{kind} {input:?}: {out:?}");
        assert_eq!(text(&out.stdout), format!("{want}\n"), "{kind} {input:?}");
        assert!(out.stderr.is_empty(), "{kind} {input:?}: {out:?}");
    }
}

#[test]
fn invalid_values_say_why_in_chinese_then_english() {
    // (kind, value, a piece of the Chinese line, a piece of the English line)
    let cases = [
        (
            "resident-id",
            "110105491231002",
            "15 位身份证号码已停止使用",
            "15-digit",
        ),
        (
            "resident-id",
            "110105194912310021",
            "校验位",
            "check character",
        ),
        (
            "credit-code",
            "91330000MA27U0DN1X",
            "校验位",
            "check character",
        ),
        (
            "credit-code",
            "9144030070846113IT",
            "第 17 位",
            "character 17",
        ),
        (
            "mobile",
            "14012345678",
            "“140”不是有效的手机号段",
            "\"140\"",
        ),
        ("mobile", "+852 9123 4567", "+86", "+86"),
        ("domain", "com.cn", "公共后缀", "public suffix"),
        ("domain", "192.168.1.1", "IP 地址", "IP address"),
        (
            "icp-number",
            "京ICP证030173号",
            "这是经营许可证号，不是备案号",
            "this is a licence, not a filing number",
        ),
        (
            "icp-number",
            "川ICP备2021012345号",
            "“川”不是管局简称",
            "\"川\" is not a bureau abbreviation",
        ),
        ("office-phone", "13812345678", "手机号码", "mobile number"),
        ("email", "nobody", "@", "@"),
        ("domain", "-example.com", "短横线", "hyphen"),
    ];
    for (kind, input, zh, en) in cases {
        let out = check(kind, input);
        assert_eq!(out.status.code(), Some(1), "{kind} {input:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{kind} {input:?}: {out:?}");
        let err = text(&out.stderr);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{kind} {input:?}: {err}");
        assert!(lines[0].contains(zh), "{kind} {input:?}: {err}");
        assert!(lines[1].contains(en), "{kind} {input:?}: {err}");
        assert!(lines[1].is_ascii() || kind == "icp-number", "{kind}: {err}");
    }
}

#[test]
fn personal_data_is_not_echoed_in_errors() {
    let out = check("resident-id", "330106199001011231");
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out.stderr).contains("330106199001011231"));
}

#[test]
fn unknown_kind_is_a_usage_error() {
    let out = check("passport", "E12345678");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("resident-id"), "{out:?}");
}
