"""seed the shipped canned answers (they were added by the first GET of a page that lists them)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Reviewed: data only, no schema change. The department's basic guidance (基础指导) becomes the first eight
canned answers, as the pages used to add them when they first read the table empty; a database where that
happened already (the table is not empty) is left as it is, since admins edit and retire answers but never
delete them. The rows are written here as they shipped, not imported from the application, so that this
revision does the same whatever the code becomes. The downgrade removes those rows that are still exactly
as shipped.
"""
from datetime import datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

SHIPPED = (
    ("交易软件下载与安装",
     "您好，交易软件请在公司官网“软件下载”栏目下载，按提示安装后用资金账号登录。如安装遇到问题，可致电客服热线，我们远程协助。"),
    ("修改密码",
     "您好，交易密码可在交易软件“密码修改”中修改；如忘记密码，请携带身份证到营业部或通过官网在线办理重置，资金密码需同时修改银行端。"),
    ("银期转账",
     "您好，银期转账时间为交易日 08:30-15:30、20:30-02:30。在交易软件“银期转账”中选择银行转期货（入金）或期货转银行（出金），需输入资金密码和银行密码。"),
    ("下单与撤单",
     "您好，下单：在交易软件选择合约，输入手数和价格，选择开仓/平仓后确认；撤单：在“委托”栏选中未成交的委托，点击撤单即可。已成交的委托无法撤销。"),
    ("查询持仓、成交和资金",
     "您好，在交易软件“持仓”“成交”“资金”栏目可实时查询；每日结算单可在中国期货市场监控中心网站（cfmmc.com）查询。"),
    ("逐日盯市",
     "您好，期货实行逐日盯市：每个交易日结束后按当日结算价计算持仓盈亏并划转，权益随之变动。请每日查看结算单，留意保证金是否充足。"),
    ("追加保证金（追保）",
     "您好，当您的风险度超过100%时需追加保证金：请在规定时间前入金或减仓，使风险度回到100%以下，否则可能被强行平仓。"),
    ("强行平仓（强平）",
     "您好，若未能按时追加保证金，或持仓超过限仓，公司将按规定对部分或全部持仓强行平仓，由此产生的损失由客户承担。请及时关注风险度。"),
)
SHIPPED_AT = datetime(2026, 12, 1)  # naive UTC, as the column stores it

canned_answers = sa.table(
    'canned_answers',
    sa.column('id', sa.Integer), sa.column('title', sa.String), sa.column('body', sa.Text),
    sa.column('position', sa.Integer), sa.column('active', sa.Boolean), sa.column('updated_at', sa.DateTime),
)


def seed(connection) -> None:
    """The shipped set, unless the table has answers already. Also used by the tests, which empty every
    table after each test, to start each one from the database as the migrations leave it."""
    if connection.scalar(sa.select(sa.func.count()).select_from(canned_answers)):
        return
    connection.execute(canned_answers.insert(), [
        {"title": title, "body": body, "position": position, "active": True, "updated_at": SHIPPED_AT}
        for position, (title, body) in enumerate(SHIPPED)])


def upgrade():
    seed(op.get_bind())


def downgrade():
    for title, body in SHIPPED:
        op.execute(canned_answers.delete().where(canned_answers.c.title == title, canned_answers.c.body == body))
