//! Made-up Chinese names for the people the fake plays (customers scanning a code) and the demo bank.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Common surnames, most frequent first (drawn with a falling weight).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN_MALE: &str = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志文博晨昊然轩睿哲";
const GIVEN_FEMALE: &str = "芳娜敏静丽艳娟霞秀玲燕婷雪琳晶欣怡佳颖洁倩萍慧红梅琴云莉月婧瑶萱涵雨悦诗琪嘉";

fn pick(rng: &mut StdRng, chars: &str) -> char {
    let v: Vec<char> = chars.chars().collect();
    v[rng.gen_range(0..v.len())]
}

/// A surname, with the common ones much more likely (roughly Zipf, as in real populations).
fn surname(rng: &mut StdRng) -> char {
    let v: Vec<char> = SURNAMES.chars().collect();
    let x: f64 = rng.r#gen();
    v[((x * x * x) * v.len() as f64) as usize % v.len()]
}

/// A surname and one or two given characters, from the pool for women or for men.
pub fn person_name(rng: &mut StdRng, female: bool) -> String {
    let pool = if female { GIVEN_FEMALE } else { GIVEN_MALE };
    let mut name = String::new();
    name.push(surname(rng));
    name.push(pick(rng, pool));
    if rng.gen_bool(0.6) {
        name.push(pick(rng, pool));
    }
    name
}

/// A random name for a customer the fake WeCom plays.
pub fn random_customer_name() -> String {
    let mut rng = StdRng::from_entropy();
    let female = rng.gen_bool(0.5);
    person_name(&mut rng, female)
}
