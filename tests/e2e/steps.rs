//! The applicant's steps as a person takes them in the portal, shared by the flows: 验证备案类型,
//! 产品验证, the filing password, the forms, the uploads (with the verification form downloaded,
//! "signed" and uploaded back) and the submission.

use std::path::Path;

use crate::MOBILE;
use crate::harness::{Person, jpeg_file};

/// What 验证备案类型 asks.
pub struct Check<'a> {
    pub domain: &'a str,
    pub province: &'a str,
    pub nature: &'a str,
    pub certificate_type: &'a str,
    pub certificate_number: &'a str,
    pub name: &'a str,
}

/// 开始备案: fills the check, reads the kind the page decides (`kind_text`), and starts the
/// order; its id.
pub async fn start(p: &mut Person<'_>, check: &Check<'_>, kind_text: &str) -> String {
    p.open("/orders/new").await;
    type_check(p, check).await;
    p.see(&[&format!("您需要办理：{kind_text}")]).await;
    p.shot("check-decided").await;
    p.press("开始办理").await;
    let at = p.arrive("/orders/*").await;
    p.see(&["备案订单已创建"]).await;
    p.shot("order-created").await;
    at.trim_start_matches("/orders/")
        .split(['/', '?'])
        .next()
        .unwrap()
        .to_owned()
}

/// On the open 开始备案 page, up to pressing 验证备案类型 (the page then decides the kind, or
/// says why none).
pub async fn type_check(p: &mut Person<'_>, check: &Check<'_>) {
    p.see(&["验证备案类型", "一定要与原备案信息一致"]).await;
    fill_check(p, check).await;
    p.shot("check-typed").await;
    p.press("验证备案类型").await;
}

/// Types the check's fields on the open 开始备案 page (in either language).
pub async fn fill_check(p: &mut Person<'_>, check: &Check<'_>) {
    p.type_in("domain", check.domain).await;
    p.choose("sponsor.province", check.province).await;
    p.choose("sponsor.nature", check.nature).await;
    p.choose("sponsor.certificate_type", check.certificate_type)
        .await;
    p.type_in("sponsor.certificate_number", check.certificate_number)
        .await;
    p.type_in("sponsor.name", check.name).await;
}

/// 产品验证 with a service number of the demo (DEMO-1-01 …).
pub async fn product(p: &mut Person<'_>, id: &str, service_number: &str) {
    p.open(&format!("/orders/{id}/product")).await;
    p.see(&["产品验证"]).await;
    p.type_in("service_number", service_number).await;
    p.shot("product").await;
    p.submit(&format!("/orders/{id}/product")).await;
}

/// 验证备案密码 (a sponsor filed at another provider): a wrong password first, then the right one.
pub async fn filing_password(p: &mut Person<'_>, id: &str, password: &str) {
    p.arrive(&format!("/orders/{id}/password")).await;
    p.see(&["验证备案密码", "找回备案密码"]).await;
    p.type_in("password", "WrongPass1").await;
    p.submit(&format!("/orders/{id}/password")).await;
    p.see(&["备案密码"]).await;
    p.shot("password-wrong").await;
    p.type_in("password", password).await;
    p.submit(&format!("/orders/{id}/password")).await;
    p.arrive(&format!("/orders/{id}/sponsor")).await;
}

/// Types `value` into `name` where the page shows the field empty and lets one type.
pub async fn fill_if_empty(p: &mut Person<'_>, name: &str, value: &str) {
    if let Some((now, readonly)) = p.field_value(name).await
        && now.is_empty()
        && !readonly
    {
        p.type_in(name, value).await;
    }
}

/// The sponsor and website pages, as a customer fills what they leave to them.
pub async fn forms(p: &mut Person<'_>, id: &str, resident_id: &str) {
    sponsor(p, id, resident_id).await;
    p.arrive(&format!("/orders/{id}/website")).await;
    p.see(&["网站信息"]).await;
    let domain = p
        .field_value("website.domain")
        .await
        .map(|(v, _)| v)
        .unwrap_or_default();
    fill_if_empty(p, "website.name", "示例网站").await;
    fill_if_empty(p, "website.home_url", &format!("https://www.{domain}/")).await;
    fill_if_empty(p, "website.service_content", "企业官网").await;
    fill_if_empty(p, "website.languages", "zh_cn").await;
    fill_if_empty(p, "website.responsible.emergency_mobile", "13900139001").await;
    fill_if_empty(p, "website.responsible.email", "webmaster@example.cn").await;
    p.shot("website").await;
    p.submit(&format!("/orders/{id}/website")).await;
    p.arrive(&format!("/orders/{id}/materials")).await;
}

/// The sponsor page, as a customer fills what it leaves to them, saved (the page that follows
/// is the website's or the APP's).
pub async fn sponsor(p: &mut Person<'_>, id: &str, resident_id: &str) {
    p.open(&format!("/orders/{id}/sponsor")).await;
    p.see(&["主体信息"]).await;
    fill_if_empty(p, "sponsor.address", "浙江省杭州市西湖区文三路 1 号").await;
    fill_if_empty(p, "sponsor.responsible.name", "张三").await;
    if let Some((_, false)) = p.field_value("sponsor.responsible.certificate_type").await {
        p.choose("sponsor.responsible.certificate_type", "resident_id")
            .await;
    }
    fill_if_empty(p, "sponsor.responsible.certificate_number", resident_id).await;
    fill_if_empty(p, "sponsor.responsible.mobile", MOBILE).await;
    fill_if_empty(p, "sponsor.responsible.emergency_mobile", "13900139000").await;
    fill_if_empty(p, "sponsor.responsible.email", "zhang@example.cn").await;
    p.shot("sponsor").await;
    p.submit(&format!("/orders/{id}/sponsor")).await;
}

/// The verification form as the customer returns it: downloaded from the page's link,
/// printed, signed and photographed (the PDF's first page, rendered by `pdftoppm` where it is
/// installed, with a signature stroke drawn on it); else the PDF as downloaded.
async fn signed_verification_form(p: &mut Person<'_>, dir: &Path) -> std::path::PathBuf {
    let href = p.link("下载核验单").await.expect("no 下载核验单 link");
    let pdf = p.download(&href).await;
    assert!(pdf.starts_with(b"%PDF"), "the verification form is no PDF");
    let pdf_path = dir.join("verification-form.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let page = dir.join("verification-form-page");
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-singlefile"])
        .arg(&pdf_path)
        .arg(&page)
        .status()
        .is_ok_and(|s| s.success());
    if !rendered {
        return pdf_path;
    }
    let mut picture = image::open(page.with_extension("png")).unwrap().to_rgb8();
    let (w, h) = picture.dimensions();
    // A signature: a dark stroke near the bottom right, where the form asks for one.
    for x in (w * 6 / 10)..(w * 9 / 10) {
        let y = h * 85 / 100 + ((x as f32 / 7.0).sin() * 6.0) as u32;
        for dy in 0..3 {
            if y + dy < h {
                picture.put_pixel(x, y + dy, image::Rgb([20, 20, 40]));
            }
        }
    }
    let signed = dir.join("verification-form-signed.jpg");
    picture.save(&signed).unwrap();
    signed
}

/// Uploads every material the page asks for: the verification form signed, the others as
/// photos of the documents.
pub async fn materials(p: &mut Person<'_>, id: &str) {
    let dir = tempfile::tempdir().unwrap();
    p.open(&format!("/orders/{id}/materials")).await;
    p.see(&["上传资料", "网站备案信息真实性核验单"]).await;
    p.shot("materials").await;
    let photo = jpeg_file(dir.path(), "document.jpg");
    let signed = signed_verification_form(p, dir.path()).await;
    let actions = upload_actions(p).await;
    assert!(!actions.is_empty(), "the materials page offers no upload");
    upload_each(p, id, &actions, |action| {
        if action.ends_with("kind=verification_form") {
            &signed
        } else {
            &photo
        }
    })
    .await;
}

/// The upload forms' actions on the materials page, as the page lists them.
pub async fn upload_actions(p: &Person<'_>) -> Vec<String> {
    let mut actions = Vec::new();
    for form in
        p.c.find_all(fantoccini::Locator::Css(
            "form[action*=\"/materials?kind=\"]",
        ))
        .await
        .unwrap()
    {
        if let Some(action) = form.attr("action").await.unwrap() {
            actions.push(action);
        }
    }
    actions
}

/// Attaches `file_for(action)` to each of this order's upload forms and sends it, waiting for
/// 资料已上传 each time; then the page's screenshot.
pub async fn upload_each<'f>(
    p: &mut Person<'_>,
    id: &str,
    actions: &[String],
    file_for: impl Fn(&str) -> &'f Path,
) {
    let prefix = format!("/orders/{id}/materials?kind=");
    for action in actions.iter().filter(|a| a.starts_with(&prefix)) {
        let file = file_for(action);
        p.attach(action, file).await;
        p.submit(action).await;
        p.see(&["资料已上传"]).await;
    }
    p.shot("materials-uploaded").await;
}

/// 确认提交, then the order's page says it is with the provider's reviewers.
pub async fn submit(p: &mut Person<'_>, id: &str) {
    p.open(&format!("/orders/{id}/submit")).await;
    p.see(&["提交备案"]).await;
    p.shot("review-before-submit").await;
    p.press("提交备案").await;
    p.see(&["初审中"]).await;
    p.shot("submitted").await;
}

/// Reopens `path` until the page shows every one of `texts` (the worker and the bureau move
/// the order on their own; a person refreshes).
pub async fn refresh_until(p: &mut Person<'_>, path: &str, texts: &[&str]) {
    let started = std::time::Instant::now();
    loop {
        p.open(path).await;
        let page = p.text().await;
        if texts.iter().all(|t| page.contains(t)) {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "{path} never showed {texts:?}:\n{page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// 拍照核验, first half: a backdrop asked for, to a mainland address.
pub async fn request_backdrop(p: &mut Person<'_>, id: &str) {
    refresh_until(p, &format!("/orders/{id}"), &["待拍照核验"]).await;
    p.follow("拍照核验").await;
    p.arrive(&format!("/orders/{id}/photo")).await;
    p.see(&["申请幕布", "中国大陆境内", "红色或蓝色"]).await;
    p.shot("photo-page").await;
    p.type_in("recipient", "张三").await;
    p.type_in("mobile", MOBILE).await;
    p.type_in("address.province", "浙江省").await;
    p.type_in("address.city", "杭州市").await;
    p.type_in("address.district", "西湖区").await;
    p.type_in("address.detail", "文三路 1 号").await;
    p.submit(&format!("/orders/{id}/backdrop")).await;
    p.see(&["幕布申请已提交"]).await;
    p.shot("backdrop-requested").await;
}

/// 拍照核验, second half: the photo taken against the backdrop, uploaded.
pub async fn upload_photo(p: &mut Person<'_>, id: &str) {
    let dir = tempfile::tempdir().unwrap();
    let photo = jpeg_file(dir.path(), "face.jpg");
    p.open(&format!("/orders/{id}/photo")).await;
    p.attach(&format!("/orders/{id}/photo"), &photo).await;
    p.submit(&format!("/orders/{id}/photo")).await;
    p.open(&format!("/orders/{id}")).await;
    p.see(&["照片审核中"]).await;
    p.shot("photo-uploaded").await;
}

/// The code of the newest text to `mobile` that says `about` (the bureau's 短信核验码, the
/// platform's 取消…接入), as its owner reads it on the simulator's phone-inbox page (`phone`
/// is logged in as the bureau's officer, who may open the simulator's pages).
pub async fn texted_code(phone: &mut Person<'_>, mobile: &str, about: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        phone
            .open(&format!("/sim/phone-inbox?mobile={mobile}"))
            .await;
        let page = phone.text().await;
        // The texts' cells, newest first (not the times beside them).
        let texts = phone
            .c
            .execute(
                "return Array.from(document.querySelectorAll('td.text')).map(t => t.innerText).join('\\n');",
                vec![],
            )
            .await
            .unwrap();
        let texts = texts.as_str().unwrap_or_default().to_owned();
        let code = texts
            .lines()
            .filter(|l| l.contains(about))
            .find_map(|line| {
                let chars: Vec<char> = line.chars().collect();
                chars
                    .windows(6)
                    .find(|w| w.iter().all(char::is_ascii_digit))
                    .map(|w| w.iter().collect::<String>())
            });
        if let Some(code) = code {
            phone.shot("phone-inbox").await;
            return code;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "no code reached {mobile}:\n{page}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// The filing password the platform texted to `mobile` (a sponsor's first filing, numbered),
/// as its owner reads it on the simulator's phone-inbox page: the text's words after
/// "备案密码：".
pub async fn texted_password(phone: &mut Person<'_>, mobile: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        phone
            .open(&format!("/sim/phone-inbox?mobile={mobile}"))
            .await;
        let texts = phone
            .c
            .execute(
                "return Array.from(document.querySelectorAll('td.text')).map(t => t.innerText).join('\\n');",
                vec![],
            )
            .await
            .unwrap();
        let password = texts.as_str().unwrap_or_default().lines().find_map(|l| {
            let rest = l.split("备案密码：").nth(1)?;
            rest.split(['，', ',', '。', ' ']).next().map(str::to_owned)
        });
        if let Some(password) = password.filter(|p| !p.is_empty()) {
            phone.shot("phone-inbox-password").await;
            return password;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "no filing password reached {mobile}:\n{}",
            phone.text().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// The SMS check: the order's page counts down and links the bureau's page, where each
/// responsible person enters the code their phone got.
pub async fn sms_check(
    server: &crate::harness::Server,
    p: &mut Person<'_>,
    phone: &mut Person<'_>,
    id: &str,
    mobiles: &[&str],
) {
    refresh_until(p, &format!("/orders/{id}"), &["短信核验剩余时间"]).await;
    p.shot("sms-pending").await;
    // The bureau texts the codes a few minutes after it receives the order.
    server.advance(6).await;
    for mobile in mobiles {
        let code = texted_code(phone, mobile, "短信核验码").await;
        p.open(&format!("/orders/{id}")).await;
        p.follow("管局短信核验页面").await;
        p.arrive("/bureau/sms-verification").await;
        p.type_in("mobile", mobile).await;
        p.type_in("code", &code).await;
        p.shot("sms-code-typed").await;
        p.press("提交").await;
        p.see(&["核验"]).await;
        p.shot("sms-code-entered").await;
    }
}

/// How a flow's key applicant pages are seen again, beside the zh-CN desktop walk: the
/// flow's suffix, in English or not, the window's size (a desktop's, a phone's 375×812).
pub const LOOKS: [(&str, bool, (u32, u32)); 3] = [
    ("en", true, (1280, 900)),
    ("phone-zh", false, (375, 812)),
    ("phone-en", true, (375, 812)),
];

/// Logs `user` in, and switches the portal to English when `english`.
pub async fn log_in_speaking(p: &mut Person<'_>, user: &str, english: bool) {
    p.log_in(user).await;
    if english {
        p.follow("English").await;
        p.see(&["My filings"]).await;
    }
}

/// The open page as a revisit checks it: it shows `text`, no message id leaks, axe-core's
/// serious and critical findings go to `a11y`, and it is saved as `step`.
pub async fn looked_at(p: &mut Person<'_>, text: &str, step: &str, a11y: &mut Vec<String>) {
    p.see(&[text]).await;
    p.all_translated().await;
    let path = p.path().await;
    a11y.extend(p.axe().await.into_iter().map(|v| format!("{path}: {v}")));
    p.shot(step).await;
}
