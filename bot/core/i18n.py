"""Texts for people, in Simplified Chinese (default) and English.

The core produces codes with parameters; the edges (CLI, chat) turn them into
text with `t(lang, key, **params)`. Every key exists in both languages (a test
checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

ZH: dict[str, str] = {
    # catalogue problems
    "problem.file_missing": "找不到配置文件",
    "problem.file_encoding": "文件不是 UTF-8 编码：{detail}",
    "problem.yaml_syntax": "YAML 语法错误：{detail}",
    "problem.not_mapping": "顶层应为键值映射（key: value），实际是 {actual}",
    "problem.empty": "文件为空",
    "problem.unknown_key": "未知字段「{key}」{hint}",
    "problem.missing_key": "缺少必填字段「{key}」",
    "problem.duplicate_key": "字段「{key}」重复出现（第 {first_line} 行已有）",
    "problem.wrong_type": "应为{expected}，实际是 {actual}",
    "problem.empty_value": "不能为空",
    "problem.bad_id": "编号「{value}」无效：只能用小写字母、数字、- 和 _，以字母开头，最长 32 个字符",
    "problem.duplicate_id": "编号「{value}」重复（{first} 已使用）",
    "problem.duplicate_number": "序号 {value} 重复（{first} 已使用）",
    "problem.duplicate_name": "单位名称「{value}」同时属于 {first} 和 {second}",
    "problem.duplicate_telegram_id": "Telegram 用户 ID {value} 重复（{first} 已使用）",
    "problem.unknown_bureau": "未知单位「{value}」{hint}",
    "problem.unknown_section": "未知章节「{value}」{hint}",
    "problem.unknown_task": "未知任务「{value}」{hint}",
    "problem.unknown_choice": "「{value}」不是可选值（可选：{choices}）{hint}",
    "problem.bad_deadline": "无法识别的完成时限「{value}」：可写作 2022年底、2025年6月底、2023年3月15日、"
    "2024-03-01、持续推进，或 持续推进，2025年底取得阶段成效",
    "problem.bad_date": "无效日期「{value}」，应写作 YYYY-MM-DD",
    "problem.bad_time": "无效时间「{value}」，应写作 HH:MM（如 09:00）",
    "problem.bad_timezone": "未知时区「{value}」（如 Asia/Shanghai）",
    "problem.out_of_range": "数值 {value} 超出范围（{low}–{high}）",
    "problem.send_time_outside_hours": "发送时间 {send_time} 不在工作时段 {start}–{end} 内",
    "problem.bad_hours": "工作时段应为两个时间 [开始, 结束]，且开始早于结束",
    "problem.baseline_year_required": "按比例下降（reduce_by_pct）的指标需要填写基准年 baseline_year",
    "problem.lead_also_cooperating": "牵头单位「{value}」同时列为配合单位，已按牵头单位处理",
    "problem.deadline_before_document": "完成时限「{value}」（{due}）早于发文日期 {document_date}",
    "problem.subtask_deadline_after_task": "子项完成时限「{value}」（{due}）晚于所属任务的完成时限「{task_deadline}」",
    "problem.calendar_unknown_year": "chinesecalendar 不含 {years} 年的节假日安排：这些年份按周一至周五"
    "工作日计算，并使用 calendar 中列出的节假日和调休上班日；国务院公布安排后请补充或升级",
    "problem.no_contacts": "单位「{value}」没有联系人：涉及该单位的提醒无法发出",
    "problem.placeholder_contacts": "{count} 个联系人仍是示例（placeholder: true）：请填写真实姓名和 Telegram 用户 ID",
    "problem.no_admin": "没有设置管理员（roles 含 admin）",
    "problem.no_coordinator": "没有设置督办员（roles 含 coordinator）：催办升级和周报无人接收",
    "problem.no_tasks": "没有任何任务",
    "problem.did_you_mean": "（是否应为「{suggestion}」？）",
    "yaml.tab": "出现了制表符（Tab）：YAML 只能用空格缩进",
    "yaml.colon": "此处不能出现冒号「:」：请检查缩进，或给含冒号的文字加引号",
    "yaml.bracket": "方括号 [ ] 没有闭合",
    "yaml.brace": "花括号 { } 没有闭合",
    "yaml.unclosed": "引号或括号没有闭合，文件就结束了",
    "yaml.missing_colon": "缺少冒号「:」",
    "yaml.indent": "缩进不一致",
    "yaml.alias": "引用了未定义的锚点（*名称）",
    "yaml.start": "，从第 {line} 行开始",
    # severities and summaries
    "severity.error": "错误",
    "severity.warning": "警告",
    "check.ok": "✅ {file}：{tasks} 项任务、{subtasks} 个子项、{bureaus} 个单位、{indicators} 项指标，校验通过",
    "check.failed": "❌ {file}：{errors} 个错误，{warnings} 个警告。机器人将继续使用上一份有效的分工表。",
    "check.warnings": "{count} 个警告",
    # words
    "word.lead": "牵头",
    "word.cooperating": "配合",
    "word.deadline": "完成时限",
    "word.none": "无",
    "deadline.ongoing": "持续推进",
    "type.mapping": "键值映射",
    "type.list": "列表",
    "type.string": "文字",
    "type.integer": "整数",
    "type.number": "数字",
    "type.boolean": "true/false",
    "type.date": "日期",
    "type.null": "空值",
}

EN: dict[str, str] = {
    "problem.file_missing": "configuration file not found",
    "problem.file_encoding": "file is not UTF-8: {detail}",
    "problem.yaml_syntax": "YAML syntax error: {detail}",
    "problem.not_mapping": "the top level must be a mapping (key: value), found {actual}",
    "problem.empty": "the file is empty",
    "problem.unknown_key": "unknown key '{key}'{hint}",
    "problem.missing_key": "required key '{key}' is missing",
    "problem.duplicate_key": "key '{key}' appears twice (first on line {first_line})",
    "problem.wrong_type": "expected {expected}, found {actual}",
    "problem.empty_value": "must not be empty",
    "problem.bad_id": "invalid id '{value}': use lowercase letters, digits, - and _, "
    "starting with a letter, at most 32 characters",
    "problem.duplicate_id": "duplicate id '{value}' (already used by {first})",
    "problem.duplicate_number": "duplicate number {value} (already used by {first})",
    "problem.duplicate_name": "bureau name '{value}' belongs to both {first} and {second}",
    "problem.duplicate_telegram_id": "duplicate Telegram user id {value} (already used by {first})",
    "problem.unknown_bureau": "unknown bureau '{value}'{hint}",
    "problem.unknown_section": "unknown section '{value}'{hint}",
    "problem.unknown_task": "unknown task '{value}'{hint}",
    "problem.unknown_choice": "'{value}' is not one of {choices}{hint}",
    "problem.bad_deadline": "cannot read deadline '{value}': write e.g. 2022年底, 2025年6月底, "
    "2023年3月15日, 2024-03-01, 持续推进, or 持续推进，2025年底取得阶段成效",
    "problem.bad_date": "invalid date '{value}', expected YYYY-MM-DD",
    "problem.bad_time": "invalid time '{value}', expected HH:MM (e.g. 09:00)",
    "problem.bad_timezone": "unknown time zone '{value}' (e.g. Asia/Shanghai)",
    "problem.out_of_range": "value {value} out of range ({low}-{high})",
    "problem.send_time_outside_hours": "send time {send_time} is outside working hours "
    "{start}-{end}",
    "problem.bad_hours": "working hours must be two times [start, end] with start before end",
    "problem.baseline_year_required": "a reduce_by_pct indicator needs baseline_year",
    "problem.lead_also_cooperating": "lead bureau '{value}' is also listed as cooperating; "
    "treated as lead",
    "problem.deadline_before_document": "deadline '{value}' ({due}) is before the document "
    "date {document_date}",
    "problem.subtask_deadline_after_task": "sub-item deadline '{value}' ({due}) is later than "
    "its task's deadline '{task_deadline}'",
    "problem.calendar_unknown_year": "chinesecalendar does not know the holidays of {years}: "
    "those years use Monday-Friday plus the holidays and make-up days listed under calendar; "
    "add them (or upgrade) once the State Council publishes them",
    "problem.no_contacts": "bureau '{value}' has no contacts: its reminders cannot be sent",
    "problem.placeholder_contacts": "{count} contacts are still placeholders "
    "(placeholder: true): fill in real names and Telegram user ids",
    "problem.no_admin": "no admin (roles containing admin)",
    "problem.no_coordinator": "no coordinator (roles containing coordinator): escalations and "
    "digests have no recipient",
    "problem.no_tasks": "no tasks",
    "problem.did_you_mean": " (did you mean '{suggestion}'?)",
    "yaml.tab": "a tab character: YAML indents with spaces only",
    "yaml.colon": "a colon is not allowed here: check the indentation or quote the text",
    "yaml.bracket": "a [ ] list is not closed",
    "yaml.brace": "a { } mapping is not closed",
    "yaml.unclosed": "the file ends before a quote or bracket is closed",
    "yaml.missing_colon": "a colon ':' is missing",
    "yaml.indent": "inconsistent indentation",
    "yaml.alias": "an undefined alias (*name)",
    "yaml.start": ", starting on line {line}",
    "severity.error": "error",
    "severity.warning": "warning",
    "check.ok": "✅ {file}: {tasks} tasks, {subtasks} sub-items, {bureaus} bureaus, "
    "{indicators} indicators: valid",
    "check.failed": "❌ {file}: {errors} errors, {warnings} warnings. The bot keeps running on "
    "the last valid table.",
    "check.warnings": "{count} warnings",
    "word.lead": "lead",
    "word.cooperating": "cooperating",
    "word.deadline": "deadline",
    "word.none": "none",
    "deadline.ongoing": "ongoing",
    "type.mapping": "a mapping",
    "type.list": "a list",
    "type.string": "text",
    "type.integer": "an integer",
    "type.number": "a number",
    "type.boolean": "true/false",
    "type.date": "a date",
    "type.null": "null",
}

MESSAGES: dict[str, dict[str, str]] = {"zh": ZH, "en": EN}


def register(lang: str, texts: Mapping[str, str]) -> None:
    """Add a feature's texts to a language (chat modules register theirs at import)."""
    MESSAGES[lang].update(texts)


def t(lang: str, key: str, /, **params: Any) -> str:
    """The text for `key` in `lang` (falling back to Chinese), formatted with params."""
    table = MESSAGES.get(lang, ZH)
    template = table.get(key) or ZH.get(key) or key
    return template.format(**params) if params else template
