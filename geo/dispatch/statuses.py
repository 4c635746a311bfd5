"""An incident's statuses, priorities and reporting channels."""

from __future__ import annotations

from geo.core.labels import Labelled, label


class Status(Labelled):
    REPORTED = "reported", label("status", "信息采集")
    REGISTERED = "registered", label("status", "案卷建立")
    DISPATCHED = "dispatched", label("status", "任务派遣")
    IN_PROGRESS = "in_progress", label("status", "任务处理")
    RESOLVED = "resolved", label("status", "处理反馈")
    CLOSED = "closed", label("status", "核查结案")
    REJECTED = "rejected", label("status", "不予受理")
    DUPLICATE = "duplicate", label("status", "重复案件")


#: Statuses whose deadline runs.
RUNNING = (Status.DISPATCHED, Status.IN_PROGRESS)
#: Statuses that need no more work.
FINISHED = (Status.CLOSED, Status.REJECTED, Status.DUPLICATE)


class Priority(Labelled):
    LOW = "low", label("priority", "低")
    NORMAL = "normal", label("priority", "一般")
    HIGH = "high", label("priority", "高")
    URGENT = "urgent", label("priority", "紧急")


#: Deadline = category hours x this factor.
PRIORITY_FACTOR = {Priority.LOW: 2.0, Priority.NORMAL: 1.0, Priority.HIGH: 0.5, Priority.URGENT: 0.25}


class Channel(Labelled):
    PATROL = "patrol", label("channel", "网格员巡查")
    PHONE = "phone", label("channel", "群众来电")
    VISIT = "visit", label("channel", "来访")
    ONLINE = "online", label("channel", "网上报送")
    OTHER = "other", label("channel", "其他")
