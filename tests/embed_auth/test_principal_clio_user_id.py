"""Which principals carry a Clio Operate user id (the `userId` of userInfo, per
sharedo-tech/sharedo-auth-samples authCode/outlookPlugin/Sharedo.Api/Services/Models/UserClaim.cs)."""

from embed_auth.principal import Principal


def principal(user_id: str, user_name: str, environment_id: int | None) -> Principal:
    return Principal(user_id, user_name, "Sam Staff", 1, environment_id, "staff")


def test_a_user_signed_in_through_clio_operate_carries_their_id() -> None:
    assert principal("0b8e5c1e-0000-4000-8000-000000000001", "staff@firm.example", 1).clio_user_id == (
        "0b8e5c1e-0000-4000-8000-000000000001"
    )


def test_a_user_whose_user_info_had_no_id_carries_none() -> None:
    """Sign-in falls back to the user name as user_id; a name is not an id."""
    assert principal("staff@firm.example", "staff@firm.example", 1).clio_user_id is None


def test_a_member_signed_in_outside_clio_operate_carries_none() -> None:
    assert principal("member@firm.example", "member@firm.example", None).clio_user_id is None
