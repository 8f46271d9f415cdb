package demo

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// weighted is a list to draw from with given weights.
type weighted struct {
	items []string
	cum   []float64
}

// table reads "item:weight item:weight …"; an item without a weight
// weighs 1.
func table(spec string) *weighted {
	w := &weighted{}
	sum := 0.0
	for _, f := range strings.Fields(spec) {
		item, weight := f, 1.0
		if i := strings.LastIndexByte(f, ':'); i > 0 {
			// The tables are constants of this file; TestTables checks
			// that every weight parses.
			if v, err := strconv.ParseFloat(f[i+1:], 64); err == nil {
				item, weight = f[:i], v
			}
		}
		sum += weight
		w.items = append(w.items, item)
		w.cum = append(w.cum, sum)
	}
	return w
}

func (w *weighted) pick(rng *rand.Rand) string {
	x := rng.Float64() * w.cum[len(w.cum)-1]
	lo, hi := 0, len(w.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if w.cum[mid] <= x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return w.items[lo]
}

// Ethnic groups as the roster writes them.
const (
	han     = "汉族"
	hui     = "回族"
	yugur   = "裕固族"
	tibetan = "藏族"
	mongol  = "蒙古族"
)

// Surnames of the Hexi corridor's Han villages, roughly by frequency
// (王张李刘 lead as everywhere in the north-west; 魏 汪 祁 鲁 柴 闫 are more
// common here than nationally).
var hanSurnames = table(`王:75 张:70 李:65 刘:45 陈:35 杨:35 赵:30 马:24 徐:20 魏:18 周:17 孙:17 吴:15 何:15 郭:15
	高:14 朱:13 胡:13 罗:12 汪:12 贾:12 任:11 田:11 韩:10 黄:10 祁:9 鲁:9 安:9 常:8 蔡:8 闫:8 段:8 柴:7 谢:7
	邓:7 冯:7 唐:6 许:6 宋:6 苏:6 秦:6 侯:6 崔:6 姚:6 付:6 丁:5 曹:5 程:5 武:5 石:5 薛:5 焦:5 樊:5 毛:5
	牛:5 袁:5 雷:5 梁:5 吕:4 郑:4 杜:4 白:4 史:4 蒋:4 沈:3 钱:3 孔:3 路:3 岳:3 滕:3 尚:3 康:3 寇:3 陶:3
	宁:3 万:3 葛:3 邵:2 黎:2 龚:2 卢:2 乔:2 姜:2 范:2 方:2 余:2 金:2 彭:2 董:2 潘:2 温:2 詹:2`)

// Hui families of Zhangye and Shandan: 马 first by far.
var huiSurnames = table(`马:40 杨:8 丁:6 白:5 海:4 冶:4 何:4 韩:4 哈:3 穆:3 沙:3 米:3 苏:3 李:3 王:3 拜:2 张:2 金:2 纳:2 妥:2`)

// Yugur families use these surnames (安 郭 杨 贺 钟 兰 妥 顾 柯 … from the
// old tribal names).
var yugurSurnames = table(`安:12 郭:10 杨:9 贺:8 钟:7 兰:7 妥:6 顾:6 柯:5 白:5 常:4 索:4 乔:3 杜:3 高:3 贾:3 鄂:2 巴:2 孟:2 李:2 赵:2`)

// Tibetans of Mati and Qifeng often carry a Han surname before a Tibetan
// given name.
var tibetanSurnames = table(`杨:14 安:10 贾:8 王:7 李:6 索:6 蔡:5 马:5 郭:4 刘:3 张:3 华:3 高:3`)

var mongolSurnames = table(`白:10 包:8 乌:7 巴:6 宝:5 韩:5 杨:5 高:4 李:4 王:4 赵:3 那:3 敖:2`)

var surnamesOf = map[string]*weighted{han: hanSurnames, hui: huiSurnames, yugur: yugurSurnames, tibetan: tibetanSurnames, mongol: mongolSurnames}

// Given names by birth cohort and sex, as rural registers of the north-west
// show them: 建国 and 秀兰 for the 1940s–50s, 红霞 and 卫东 for the
// 1960s–70s, one-character names and 晓/海/小 for the 1980s–90s, 子轩 and
// 欣怡 after 2000.
type cohortNames struct {
	until        int // last birth year of the cohort
	male, female *weighted
}

var givenNames = []cohortNames{
	{1949,
		table(`福林 德福 永福 永贵 玉成 玉林 生财 生福 生荣 生贵 全福 守仁 占林 占魁 进财 进福 兴旺 有福 万山 长青 明德 世昌 廷杰 学文
			克俭 宗仁 德明 德仁 振邦 富贵 文华 天禄 登科 成林 福寿 吉祥 满仓 铁柱 金山 宝山 占元 存福 得胜 有才`),
		table(`秀兰 桂兰 玉兰 秀英 桂英 淑珍 玉珍 凤英 兰英 秀珍 桂芳 玉梅 翠兰 春兰 菊花 金花 素珍 月英 存英 梅花 凤兰 粉兰 兰花 花儿
			巧珍 玉花 桂香 秀芳 金兰 银花 秀花 凤莲 爱莲 玉英 兰芳 香兰`)},
	{1959,
		table(`建国 建军 国栋 国华 国庆 德明 志明 永祥 永红 玉龙 生辉 占山 进明 兴华 振华 建华 世忠 学军 春生 长寿 福成 金福 建民 光明
			跃进 胜利 卫国 保国 建新 和平 玉山 永平 振国 长明 天福 成德 世平`),
		table(`秀兰 桂兰 秀英 桂英 淑英 玉珍 凤英 秀珍 玉梅 翠兰 春兰 桂芳 金花 素珍 月英 秀琴 桂琴 玉芳 爱英 兰英 翠英 秀梅 凤琴 玉莲
			金莲 冬梅 桂花 春花 淑兰 玉兰 爱兰 秀芳`)},
	{1969,
		table(`卫东 卫国 红军 志强 志刚 建平 永强 国庆 学军 春生 海军 文斌 建新 宏伟 小平 振华 立新 爱国 建林 兴华 永红 天福 建忠 国强
			军 勇 强 斌 刚 伟 平 明 林 华 东 忠 军林 红兵 向东 文革 新民 永刚 生林 德军 玉福 国林`),
		table(`红霞 丽华 秀琴 玉霞 春梅 桂琴 海燕 艳霞 玉红 美玲 淑英 小兰 爱英 翠萍 丽萍 红梅 雪梅 春燕 金莲 秀梅 文霞 玉芳 红英 卫红
			红 霞 英 萍 梅 兰 芳 琴 玉萍 彩霞 凤霞 爱琴 秀云 桂梅 兰芳 俊英`)},
	{1979,
		table(`志强 志刚 建平 永强 海军 文斌 宏伟 小平 立新 建林 建伟 国强 振华 学文 海涛 小军 小龙 永刚 建军 文杰 兴龙 晓东 春林 国栋
			军 勇 强 斌 刚 伟 平 明 林 华 峰 涛 杰 亮 辉 鹏 龙 波 新 东 锋 海`),
		table(`红霞 丽华 玉霞 春梅 海燕 艳霞 玉红 美玲 小兰 翠萍 丽萍 红梅 雪梅 春燕 文霞 玉芳 秀琴 晓红 晓燕 丽娟 彩霞 凤霞 玉梅 秀芳
			红 霞 英 萍 梅 兰 芳 琴 娟 燕 丽 艳 玲 敏 静 莉 慧 芬`)},
	{1989,
		table(`磊 鹏 涛 强 伟 军 辉 斌 杰 亮 刚 勇 龙 波 飞 俊 超 峰 鑫 浩 晓东 海涛 小龙 永刚 建伟 志鹏 文杰 兴龙 宏亮 晓军 鹏飞 小军
			明亮 鹏程 小强 建军 海龙 海军 晓龙 文龙 玉龙 天龙 国栋 志强 志勇 伟伟 磊磊 亮亮 军军`),
		table(`娟 燕 丽 敏 静 霞 芳 婷 艳 琴 玲 晓燕 晓娟 丽娟 婷婷 小燕 雪莲 亚琴 海霞 晓丽 小红 春艳 玉婷 晶晶 晓梅 丽丽 娟娟 燕燕
			晓霞 雪梅 红艳 艳红 小琴 亚丽 海燕 文娟 玉娟 丽霞 小芳 小丽 莉莉 倩`)},
	{1999,
		table(`磊 鹏 涛 强 伟 辉 斌 杰 亮 龙 波 飞 俊 超 峰 鑫 浩 宇 阳 帅 博 凯 旭 晨 鹏飞 鹏程 志鹏 文杰 宏亮 小龙 晓龙 建伟 家乐 嘉伟
			明明 龙龙 浩浩 鑫鑫 玉龙 天宇 浩然 俊杰 振宇 宇航 一鸣 佳豪 文博 晓宇`),
		table(`婷 娟 燕 丽 敏 静 芳 琴 玲 倩 瑞 娜 洁 雪 蕾 璐 晶 佳 婷婷 晶晶 佳佳 丹丹 甜甜 莹莹 晓燕 晓娟 小燕 雪莲 亚琴 丽娟 玉婷
			雅琪 欣欣 思雨 佳琪 梦瑶 雨婷 欣悦 文静 丽萍 丽霞 海燕 小红 晓丽`)},
	{2009,
		table(`浩然 子豪 宇航 一鸣 浩宇 俊杰 博文 梓轩 思远 宇轩 家乐 鑫磊 佳豪 浩轩 文博 嘉豪 天佑 俊豪 昊天 子轩 明轩 鹏宇 晨阳 家豪
			睿 轩 昊 博 翔 宇 浩 鑫 阳 凯 豪 帅 振宇 志豪 宇豪 嘉乐 文轩 泽宇 皓轩 俊熙 瑞`),
		table(`欣怡 梓涵 雨欣 佳怡 子涵 诗涵 思琪 雨涵 欣妍 可馨 梦瑶 佳琪 紫涵 梓萱 雨萱 馨怡 静怡 佳欣 思雨 雅琪 雨婷 欣悦 晓雪 佳慧
			悦 瑶 琪 妍 蕊 婷 雪 涵 萱 欣 怡 倩 慧 丹 梦洁 甜甜 佳佳 文静 心怡`)},
	{2026,
		table(`沐宸 梓睿 浩宇 子墨 沐阳 宇轩 梓轩 一诺 皓轩 俊熙 浩然 奕辰 宇泽 锦程 睿泽 子睿 明哲 梓豪 嘉懿 晨曦 思源 承泽 铭泽 宸
			睿 轩 泽 宇 浩 辰 铭 航 奕 博 恒 瑞 一鸣 煜 子豪`),
		table(`一诺 若曦 依诺 梓涵 欣怡 可馨 语嫣 梓萱 雨萱 思涵 诗琪 子涵 艺涵 安琪 梦琪 佳怡 悦 萱 涵 琪 妍 瑶 曦 彤 桐
			欣 婉清 若汐 紫萱 思彤 语桐 芷若 雨桐 一然 沐晴 心悦 晨希 可欣`)},
}

func hanGiven(rng *rand.Rand, birthYear int, male bool) string {
	c := givenNames[len(givenNames)-1]
	for _, cohort := range givenNames {
		if birthYear <= cohort.until {
			c = cohort
			break
		}
	}
	if male {
		return c.male.pick(rng)
	}
	return c.female.pick(rng)
}

// Tibetan given names common in Sunan; a name is one of them, two of them
// together (才让东智, 卓玛草), or one after a Han surname (杨才让).
var (
	tibetanMale   = table(`才让 多杰 扎西 尕藏 索南 旦增 东智 加措 桑杰 更登 贡布 华旦 才旦 久美 完么 尖措 拉布 闹日 仁青 周加 公保 才智`)
	tibetanFemale = table(`卓玛 拉毛 才吉 央金 措毛 德吉 吉毛 草毛 兰措 卓尕 拉姆 旦措 卓玛草 吉草 才让草 央措 拉吉 东草 仁青措`)
	mongolMale    = table(`巴特尔 那日苏 额尔敦 苏和 朝鲁 满都拉 布和 巴图 特古斯 孟和 吉日嘎拉 宝音 达来 青格勒`)
	mongolFemale  = table(`其木格 其其格 乌云 萨仁 格日勒 斯琴 敖登 图雅 娜仁 高娃 托娅 塔娜 乌兰 琪琪格`)
)

// personName makes a name for a person of the ethnic group, sex and birth
// year with the given surname (the family's).
func personName(rng *rand.Rand, surname, ethnicity string, birthYear int, male bool) string {
	switch ethnicity {
	case tibetan:
		// Younger Tibetans of the pastoral townships often have Han given
		// names at school; older ones Tibetan ones.
		if birthYear >= 1995 && rng.IntN(3) == 0 {
			break
		}
		given := tibetanFemale
		if male {
			given = tibetanMale
		}
		switch rng.IntN(10) {
		case 0, 1, 2, 3, 4, 5:
			return surname + given.pick(rng)
		case 6, 7:
			a, b := given.pick(rng), given.pick(rng)
			if a != b && len([]rune(a))+len([]rune(b)) <= 4 {
				return a + b
			}
			return a
		default:
			return given.pick(rng)
		}
	case mongol:
		if birthYear < 1995 && rng.IntN(5) < 2 {
			if male {
				return mongolMale.pick(rng)
			}
			return mongolFemale.pick(rng)
		}
	}
	return surname + hanGiven(rng, birthYear, male)
}

// siblingName gives a younger brother or sister the same generation
// character (字辈) as an elder sibling's two-character given name, as many
// rural families do; ok is false when the elder's name has none to share.
func siblingName(rng *rand.Rand, surname, elder string, male bool) (string, bool) {
	r := []rune(elder)
	s := []rune(surname)
	if len(r) != len(s)+2 || string(r[:len(s)]) != surname {
		return "", false
	}
	second := siblingSecondFemale
	if male {
		second = siblingSecondMale
	}
	for range 4 {
		name := surname + string(r[len(s)]) + second.pick(rng)
		if name != elder {
			return name, true
		}
	}
	return "", false
}

var (
	siblingSecondMale   = table(`军 强 刚 平 明 林 华 伟 龙 虎 东 峰 涛 斌 杰 亮 鹏 辉 福 贵 山 成 文 武`)
	siblingSecondFemale = table(`霞 梅 兰 芳 琴 燕 娟 丽 红 英 萍 玲 莉 花 珍 凤 云 慧`)
)

// ethnicMix is who lives in a township, as shares of household heads.
// Sunan's townships differ: Mati and Qifeng are Tibetan townships, Baiyin
// Mongolian, Kangle, Dahe and Minghua mostly Yugur; elsewhere in Zhangye
// nearly everyone is Han, with Hui families in Ganzhou and Shandan.
var (
	ethnicByCounty = map[string]*weighted{
		"620702": table(`汉族:97.4 回族:1.6 藏族:0.4 裕固族:0.3 蒙古族:0.3`),
		"620721": table(`汉族:45 裕固族:30 藏族:18 蒙古族:5 回族:2`),
		"620722": table(`汉族:99 回族:0.6 藏族:0.4`),
		"620723": table(`汉族:98.5 回族:1.2 裕固族:0.3`),
		"620724": table(`汉族:98.5 回族:1.2 蒙古族:0.3`),
		"620725": table(`汉族:97 回族:2.2 藏族:0.4 裕固族:0.4`),
	}
	ethnicByTownship = map[string]*weighted{
		"620702211": table(`蒙古族:55 汉族:45`), // 平山湖蒙古族乡
		"620721100": table(`裕固族:40 汉族:35 藏族:18 蒙古族:4 回族:3`),
		"620721101": table(`汉族:45 裕固族:25 藏族:22 蒙古族:6 回族:2`),
		"620721102": table(`裕固族:55 汉族:25 藏族:17 蒙古族:3`),
		"620721200": table(`藏族:62 汉族:30 裕固族:8`),
		"620721202": table(`蒙古族:55 汉族:30 裕固族:10 藏族:5`),
		"620721203": table(`裕固族:60 汉族:25 藏族:12 蒙古族:3`),
		"620721204": table(`裕固族:55 汉族:42 蒙古族:3`),
		"620721205": table(`藏族:58 汉族:28 裕固族:12 蒙古族:2`),
		"620721500": table(`汉族:80 裕固族:8 藏族:8 回族:4`),
		"620721501": table(`汉族:80 裕固族:8 藏族:8 回族:4`),
	}
)

func ethnicMixOf(villageCode string) *weighted {
	if w := ethnicByTownship[villageCode[:9]]; w != nil {
		return w
	}
	return ethnicByCounty[villageCode[:6]]
}
