"""The one masking function for public text: numbers masked however they were typed."""
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from community.core.masking import coarse_address, coarse_point, mask_personal

# Text around the numbers: Chinese words and punctuation, never digits or Latin letters
# (those would make the number part of a longer token, which is not masked).
AROUND = st.text(alphabet="我家电话联系请打身份证号码是小区楼门口，。：、（）！ 　", max_size=12)
FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}


def _plain(text: str) -> str:
    """What a reader can take from the text: its digits, full-width ones included."""
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", text))


@st.composite
def spelled(draw, digits: str):
    """`digits` as people type them: groups split by spaces, dashes or dots, some
    digits full-width."""
    out = []
    for i, ch in enumerate(digits):
        if i and draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from([" ", "-", ".", "－", "—", "　", "  "])))
        out.append(FULL_WIDTH[ch] if ch.isdigit() and draw(st.booleans()) else ch)
    return "".join(out)


mobiles = st.builds(lambda second, rest: "1" + second + rest,
                    st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), number=mobiles, before=AROUND, after=AROUND,
       prefix=st.sampled_from(["", "+86", "+86 ", "0086-", "(+86)", "86 ", "＋８６"]))
def test_mobile_numbers_are_masked_however_typed(data, number, before, after, prefix):
    typed = before + prefix + data.draw(spelled(number)) + after
    masked = mask_personal(typed)
    assert number not in _plain(masked)
    assert number[:3] + "****" + number[-4:] in masked
    assert masked.startswith(before) and masked.endswith(after)  # the rest as typed


@settings(max_examples=200, deadline=None)
@given(data=st.data(), body=st.text(alphabet="0123456789", min_size=17, max_size=17),
       check=st.sampled_from("0123456789Xx"), before=AROUND, after=AROUND)
def test_id_card_numbers_are_masked_however_typed(data, body, check, before, after):
    typed = before + data.draw(spelled(body)) + check + after
    masked = mask_personal(typed)
    assert body not in _plain(masked) and "*" * 18 in masked


@settings(max_examples=200, deadline=None)
@given(area=st.sampled_from(["010", "021", "0871", "0887", "0370"]),
       number=st.text(alphabet="0123456789", min_size=8, max_size=8),
       shape=st.sampled_from(["{a}-{n}", "{a} {n}", "({a}){n}", "({a}) {h} {t}", "{a}-{h}-{t}",
                              "{a}-{n}转12"]),
       before=AROUND, after=AROUND)
def test_landlines_are_masked(area, number, shape, before, after):
    typed = before + shape.format(a=area, n=number, h=number[:4], t=number[4:]) + after
    masked = mask_personal(typed)
    assert number not in _plain(masked) and area in masked


@settings(max_examples=100, deadline=None)
@given(province=st.sampled_from("云京沪川粤"), letter=st.sampled_from("ABCDK"),
       rest=st.text(alphabet="0123456789ABCDEFGHJK", min_size=5, max_size=6),
       dot=st.sampled_from(["", "·", " ", "-"]), before=AROUND, after=AROUND)
def test_plate_numbers_are_masked(province, letter, rest, dot, before, after):
    masked = mask_personal(before + province + letter + dot + rest + after)
    assert rest not in masked and "*" in masked


@settings(max_examples=100, deadline=None)
@given(building=st.integers(1, 40), unit=st.integers(1, 9), room=st.integers(101, 3208),
       shape=st.sampled_from(["{b}栋{u}单元{r}", "{b}号楼{u}单元{r}室", "{b}幢 {u}单元 {r}号",
                              "{b}-{u}-{r}"]))
def test_flat_numbers_are_masked_and_the_address_keeps_its_building(building, unit, room, shape):
    address = "北门小区" + shape.format(b=building, u=unit, r=room)
    assert str(room) not in mask_personal(address)
    coarse = coarse_address(address)
    assert str(room) not in coarse and coarse.startswith("北门小区")
    if "-" not in shape:
        assert coarse.startswith(f"北门小区{building}")


def test_what_follows_a_number_stays_as_typed():
    # Found by the mobile property above: a building word after a masked number was
    # written back from the folded copy (the ideographic space became an ASCII one).
    assert mask_personal("1 3000000000\u3000号楼") == "130****0000\u3000号楼"
    assert mask_personal("1 3000000000号楼\u3000") == "130****0000号楼\u3000"
    assert mask_personal("北门小区７栋3单元302") == "北门小区７栋**"


def test_the_finding_of_the_probe_is_masked():
    text = "电话13912345678，身份证110101199003071234，住北门小区7栋3单元302，电话 139 1234 5678。"
    masked = mask_personal(text)
    for secret in ("13912345678", "110101199003071234", "302", "1234 5678"):
        assert secret not in masked
    assert "139****5678" in masked and "北门小区7栋" in masked
    assert coarse_address("北门小区7栋3单元302") == "北门小区7栋"


def test_ordinary_numbers_are_left_alone():
    for text in ("预算1000元，2026年11月23日开工", "翠湖南路12号门口", "第3期，共45户", "2026-11 花了3000元",
                 "气温-5度", "110报警"):
        assert mask_personal(text) == text
    assert mask_personal(None) == "" and coarse_address("") == ""
    assert mask_personal("写信到 zhang.san@example.com") == "写信到 z***@example.com"


def test_a_point_is_rounded_to_about_a_hundred_metres():
    assert coarse_point(25.00537) == 25.005 and coarse_point(102.0046) == 102.005
    assert coarse_point(None) is None
