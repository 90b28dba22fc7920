"""Plausible Vietnamese people for the demo and the bulk generator: names, jobs, a Party
member of a cell."""
from __future__ import annotations

import random
from datetime import date

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_M = ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thành", "Xuân"]
MIDDLE_F = ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Phương", "Bích", "Mai"]
GIVEN_M = ["Hùng", "Dũng", "Tuấn", "Nam", "Long", "Sơn", "Thắng", "Hải", "Quân", "Khoa",
           "Đạt", "Phúc", "Trung", "Vinh", "Hiếu"]
GIVEN_F = ["Lan", "Hương", "Hoa", "Trang", "Linh", "Ngân", "Thảo", "Yến", "Hằng", "Nhung",
           "Vân", "Oanh", "Giang", "Huyền", "Thủy"]
JOBS = [("Công nhân may", True), ("Công nhân lắp ráp", True), ("Công nhân vận hành máy", True),
        ("Kỹ thuật viên", True), ("Tổ trưởng sản xuất", True), ("Nhân viên kế toán", False),
        ("Giáo viên", False), ("Điều dưỡng", False), ("Kỹ sư", False),
        ("Nhân viên hành chính", False)]


def roster_person(rng: random.Random) -> dict:
    """A plausible official Party member of a cell: name, mobile number, official since."""
    female = rng.random() < 0.4
    name = " ".join([rng.choice(SURNAMES), rng.choice(MIDDLE_F if female else MIDDLE_M),
                     rng.choice(GIVEN_F if female else GIVEN_M)])
    since = date.fromordinal(rng.randint(date(1985, 1, 1).toordinal(),
                                         date(2019, 12, 31).toordinal()))
    return {"full_name": name, "phone": f"09{rng.randint(10000000, 99999999)}",
            "official_since": since}
