//! The gate's hot path from a host, as an edge sends it, to its registrable domain.
//!
//! [`with_registrable`] answers exactly as [`Domain::registrable_of_host`] (the one rule of
//! host normalisation, in core) but without allocating for the hosts edges send nearly
//! always: plain ASCII letters, digits, hyphens and dots, perhaps upper case, with a port or
//! a trailing dot, and no punycode label. Such a host is lower-cased into a buffer on the
//! stack and looked up in the Public Suffix List in place. Any other host (Unicode,
//! punycode, IP literals, anything refused) takes [`Domain::registrable_of_host`] itself,
//! so the answers and the errors are the same; the tests below hold the two side by side.

use beian_core::domain::{Domain, DomainError};

/// [`Domain::registrable_of_host`] for the gate's hot path: calls `f` with the registrable
/// domain's normalised name, or gives the same error.
pub fn with_registrable<T>(host: &str, f: impl FnOnce(&str) -> T) -> Result<T, DomainError> {
    let mut buf = [0u8; 253];
    match plain_registrable(host, &mut buf) {
        Some(name) => Ok(f(name)),
        None => Domain::registrable_of_host(host).map(|d| f(d.as_str())),
    }
}

/// The fast path of [`with_registrable`]: the registrable domain of a host
/// made of ASCII letters, digits, hyphens and dots, with an optional port and trailing dot,
/// that [`Domain::parse`] accepts and IDNA leaves as it is (no `xn--` label); `None` for
/// every other host (the full path then decides).
fn plain_registrable<'b>(host: &str, buf: &'b mut [u8; 253]) -> Option<&'b str> {
    let host = host.trim();
    let name = match host.split_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        Some(_) => return None,
        None => host,
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > buf.len() {
        return None;
    }
    let out = buf.get_mut(..name.len())?;
    for (o, b) in out.iter_mut().zip(name.bytes()) {
        if !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
            return None;
        }
        *o = b.to_ascii_lowercase();
    }
    let mut all_digits = true;
    for label in out.split(|&b| b == b'.') {
        if label.is_empty()
            || label.len() > 63
            || label.first() == Some(&b'-')
            || label.last() == Some(&b'-')
            || label.starts_with(b"xn--")
        {
            return None;
        }
        all_digits &= label.iter().all(u8::is_ascii_digit);
    }
    if all_digits {
        return None;
    }
    let registrable = psl::domain(out)?;
    if !registrable.suffix().is_known() {
        return None;
    }
    std::str::from_utf8(registrable.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The gate's allocation-free path answers exactly as the full one: the same registrable
    /// domain or the same error, for plain hosts (taken fast) and every other spelling (handed
    /// to the full path).
    #[test]
    fn fast_host_path_agrees_with_the_full_one() {
        let hosts = [
            "example.com.cn",
            "www.example.com.cn",
            "WWW.Example.COM.cn:8443",
            "shop.www.example.com.cn.",
            "example.com.cn.:80",
            "example.com.cn:",
            "example.com.cn:http",
            "example.com.cn:80:80",
            "  www.example.cn  ",
            "blog.example.co.uk",
            "a.b.c.d.example.com",
            "x.github.io",
            "www.xn--fsqu00a.xn--fiqs8s",
            "XN--FSQU00A.XN--FIQS8S",
            "xn--zz.com",
            "例子.中国",
            "www。例子。中国",
            "com.cn",
            "COM.CN.:443",
            "cn",
            "中国",
            "",
            " ",
            ".",
            ":80",
            "example..com",
            ".example.com",
            "example.com..",
            "-bad.example.com",
            "bad-.example.com",
            "a--b.example.com",
            "exa_mple.com",
            "exa mple.com",
            "*.example.com",
            "127.0.0.1",
            "127.0.0.1:8080",
            "1.2.3",
            "10.0.0.1.com",
            "[::1]:443",
            "::1",
            "2001:db8::1",
            "localhost",
            "example.invalidtld",
            "123.cn",
            "1.com.cn",
        ];
        let long_label = format!("{}.com", "a".repeat(64));
        let too_long = format!("{}com", "abcdefghi.".repeat(26));
        let longest = format!("{}com", "abcdefghi.".repeat(25));
        let extra = [long_label.as_str(), too_long.as_str(), longest.as_str()];
        for host in hosts.iter().chain(extra.iter()) {
            let full = Domain::registrable_of_host(host).map(|d| d.as_str().to_owned());
            let fast = with_registrable(host, str::to_owned);
            assert_eq!(fast, full, "{host:?}");
        }
        // Plain hosts never reach the full path.
        let mut buf = [0u8; 253];
        for (host, registrable) in [
            ("WWW.Example.COM.cn:8443", "example.com.cn"),
            ("shop.www.example.com.cn.", "example.com.cn"),
            ("blog.example.co.uk", "example.co.uk"),
        ] {
            assert_eq!(
                plain_registrable(host, &mut buf),
                Some(registrable),
                "{host}"
            );
        }
        for host in [
            "例子.中国",
            "www.xn--fsqu00a.xn--fiqs8s",
            "com.cn",
            "127.0.0.1",
            "",
        ] {
            assert_eq!(plain_registrable(host, &mut buf), None, "{host}");
        }
    }
}
