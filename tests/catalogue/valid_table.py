"""A small valid table that the validation tests break one way at a time."""

VALID = """\
version: 1
language: zh
document:
  title: 测试落实意见
  issuer: 某区管委会办公室
  number: 〔2022〕-37
  date: 2022-03-31
  timezone: Asia/Shanghai
policy:
  send_time: "09:00"
  working_hours: ["09:00", "18:00"]
  reminder_offsets_days: [30, 7, 1]
  checkin: monthly
calendar:
  holidays: [2026-10-01]
  workdays: []
people:
  - id: admin-1
    name: 王管理
    roles: [admin, coordinator]
    telegram_id: 1001
  - id: coord-1
    name: 赵督办
    roles: [coordinator]
bureaus:
  - id: eco
    name: 生态环境局
    aliases: [生态环境/局]
    contacts:
      - id: eco-1
        name: 张联络
        telegram_id: 2001
  - id: econ
    name: 经济发展局
    aliases: [经济发展和局]
    contacts:
      - id: econ-1
        name: 李联络
        telegram_id: 2002
  - id: streets
    name: 各街道、镇
    every_task: true
    contacts:
      - id: streets-1
        name: 街道联络
sections:
  - id: s1
    number: 一
    title: 优化国土空间开发保护格局
tasks:
  - id: t01
    number: 1
    section: s1
    title: 落实主体功能区战略
    lead: 经济发展局
    cooperating: [生态环境局]
    deadline: 持续推进，2025年底取得阶段成效
  - id: t02
    number: 2
    section: s1
    title: 打好蓝天保卫战
    lead: 生态环境局
    cooperating: []
    deadline: 2025年底
    subtasks:
      - id: t02-1
        text: 推进工业领域污染治理
        lead: 生态环境局
        cooperating: [经济发展局]
      - id: t02-2
        text: 加强移动源排放控制
        deadline: 2024年底
indicators:
  - id: pm25
    name: 细颗粒物平均浓度
    unit: 微克/立方米
    direction: at_most
    target: 49
    range: [0, 1000]
    due: 2025年底
    owner: 生态环境局
    task: t02
  - id: energy
    name: 单位规上工业增加值能耗
    unit: "%"
    direction: reduce_by_pct
    target: 10
    baseline_year: 2020
    due: 2025年底
    owner: 经济发展局
    task: t01
"""
