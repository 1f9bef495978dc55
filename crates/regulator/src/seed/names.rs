//! Word tables for realistic synthetic names: company trade names, industries, people, website
//! names and pinyin-like domains. Synthetic data only; any likeness to a real name is chance.

use rand::Rng;

pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯",
    "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱", "严", "覃", "武",
    "欧阳",
];

pub const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "文", "玲", "建", "国", "辉", "鹏", "宇", "浩",
    "婷", "雪", "琳", "晨", "欣", "怡", "博", "宁", "佳", "俊", "峰", "斌", "凯", "颖", "倩", "阳",
    "梓", "涵", "子", "轩", "睿", "思", "雨", "诗", "然", "嘉", "欢", "晓", "彤", "昊", "天", "一",
];

pub const TRADE: &[&str] = &[
    "华", "信", "达", "通", "瑞", "恒", "泰", "鑫", "盛", "天", "宏", "源", "博", "创", "联", "易",
    "智", "云", "汇", "金", "德", "安", "新", "星", "明", "科", "龙", "凯", "嘉", "辰", "睿", "卓",
    "越", "腾", "飞", "海", "蓝", "诚", "众", "力", "优", "美", "佳", "康", "和", "顺", "兴", "隆",
    "丰", "合", "中", "正", "东", "方", "远", "航", "宇", "锐", "奥", "迅", "捷", "聚", "润", "晟",
    "昊", "乐", "思", "维", "网", "数", "码", "视", "光", "峰", "途", "景", "帆", "启", "拓", "立",
    "鼎", "银", "宝", "辉", "耀", "祥", "福", "万", "亿", "千", "百", "北", "南", "西", "青", "绿",
];

pub const INDUSTRIES: &[&str] = &[
    "网络科技",
    "信息技术",
    "电子商务",
    "文化传媒",
    "教育科技",
    "软件开发",
    "数据服务",
    "广告",
    "贸易",
    "餐饮管理",
    "建筑工程",
    "医疗器械",
    "物流",
    "旅游开发",
    "企业管理咨询",
    "生物科技",
    "新能源",
    "智能科技",
    "影视文化",
    "农业发展",
    "计算机系统服务",
    "互联网信息服务",
    "游戏开发",
    "人力资源",
    "电子科技",
    "机械设备",
    "家居用品",
    "服装",
    "健康管理",
    "金融信息服务",
];

pub const SITE_SUFFIXES: &[&str] = &[
    "官网",
    "官方网站",
    "商城",
    "在线",
    "服务平台",
    "资讯网",
    "社区",
];
pub const PERSONAL_SITES: &[&str] = &[
    "的个人博客",
    "的技术笔记",
    "的摄影作品",
    "的读书笔记",
    "的个人主页",
];

/// Pinyin syllables the domains are built from.
pub const SYLLABLES: &[&str] = &[
    "hua", "xin", "da", "tong", "rui", "heng", "tai", "sheng", "tian", "hong", "yuan", "bo",
    "chuang", "lian", "yi", "zhi", "yun", "hui", "jin", "de", "an", "xing", "ming", "ke", "long",
    "kai", "jia", "chen", "zhuo", "yue", "teng", "fei", "hai", "lan", "cheng", "zhong", "li",
    "you", "mei", "kang", "he", "shun", "feng", "fang", "hang", "yu", "ao", "xun", "jie", "ju",
    "run", "hao", "le", "si", "wei", "wang", "shu", "ma", "shi", "guang", "tu", "jing", "fan",
    "qi",
];

pub const TLDS: &[&str] = &["com", "cn", "com.cn", "net"];

pub const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183", "185",
    "186", "187", "188", "189", "198", "199",
];

fn pick<'a>(rng: &mut impl Rng, table: &[&'a str]) -> &'a str {
    table[rng.random_range(0..table.len())]
}

/// A person's name: surname and one or two given characters.
pub fn person(rng: &mut impl Rng) -> String {
    let mut name = pick(rng, SURNAMES).to_owned();
    name.push_str(pick(rng, GIVEN));
    if rng.random_bool(0.6) {
        name.push_str(pick(rng, GIVEN));
    }
    name
}

/// A trade name (字号) of two characters.
pub fn trade_name(rng: &mut impl Rng) -> String {
    let a = pick(rng, TRADE);
    let mut b = pick(rng, TRADE);
    while b == a {
        b = pick(rng, TRADE);
    }
    format!("{a}{b}")
}

/// A company name: region, trade name, industry, form.
pub fn company(rng: &mut impl Rng, region: &str, trade: &str) -> String {
    let form = if rng.random_bool(0.9) {
        "有限公司"
    } else {
        "股份有限公司"
    };
    format!("{region}{trade}{}{form}", pick(rng, INDUSTRIES))
}

/// A website name for an enterprise's trade name.
pub fn enterprise_site(rng: &mut impl Rng, trade: &str) -> String {
    format!("{trade}{}", pick(rng, SITE_SUFFIXES))
}

/// A website name for a person.
pub fn personal_site(rng: &mut impl Rng, person: &str) -> String {
    format!("{person}{}", pick(rng, PERSONAL_SITES))
}

/// The `index`-th domain: four pinyin syllables and a TLD, indexes below 4·64⁴ permuted so
/// that neighbours look unrelated (a number is appended past that range). Different indexes
/// can still spell the same name (`li|an|yuan|da` = `lian|yu|an|da`), so the seeder skips
/// names it has already used.
pub fn domain(index: u64) -> String {
    let syllables = SYLLABLES.len() as u64;
    let space = syllables.pow(4) * TLDS.len() as u64;
    // Multiplying by a number coprime with the space permutes it, so neighbours look unrelated.
    let mut x = (index % space).wrapping_mul(7_919) % space;
    let lap = index / space;
    let tld = TLDS[(x % TLDS.len() as u64) as usize];
    x /= TLDS.len() as u64;
    let mut name = String::with_capacity(24);
    for _ in 0..4 {
        name.push_str(SYLLABLES[(x % syllables) as usize]);
        x /= syllables;
    }
    if lap > 0 {
        name.push_str(&lap.to_string());
    }
    format!("{name}.{tld}")
}

/// A mobile number.
pub fn mobile(rng: &mut impl Rng) -> String {
    format!(
        "{}{:08}",
        pick(rng, MOBILE_PREFIXES),
        rng.random_range(0..100_000_000u32)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn domains_are_mostly_distinct() {
        let n = 200_000;
        let set: HashSet<String> = (0..n).map(domain).collect();
        assert!(set.len() as u64 > n * 99 / 100, "{}", set.len());
        let space = (SYLLABLES.len() as u64).pow(4) * TLDS.len() as u64;
        assert_ne!(domain(5), domain(5 + space));
    }

    #[test]
    fn names_look_right() {
        let mut rng = rand::rng();
        let trade = trade_name(&mut rng);
        assert_eq!(trade.chars().count(), 2);
        assert!(company(&mut rng, "浙江", &trade).ends_with("有限公司"));
        let p = person(&mut rng);
        assert!((2..=4).contains(&p.chars().count()), "{p}");
        assert_eq!(mobile(&mut rng).len(), 11);
    }
}
