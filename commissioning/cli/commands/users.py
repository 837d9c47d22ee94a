"""``commissioning users``: make users and reset passwords for the web app (``serve``)."""

from __future__ import annotations

import sys

from commissioning.cli.commands.serve import add_db_options, database_url


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "users",
        help="make web app users, reset their passwords, list them",
        description="Accounts of the web app. The password is read from the terminal (or one line of "
        "standard input with --password-stdin); at least 12 characters.",
    )
    commands = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = commands.add_parser("add", help="make a user")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["commissioner", "provider", "planner"])
    add.add_argument("--provider", metavar="ID", help="the provider_id of a provider user, e.g. P03")
    reset = commands.add_parser("reset-password", help="a new password (ends the lock and every session)")
    reset.add_argument("name")
    listing = commands.add_parser("list", help="every user, role and provider")
    for sub in (add, reset, listing):
        add_db_options(sub)
    for sub in (add, reset):
        sub.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    parser.set_defaults(func=run)


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        from commissioning.web.accounts import AccountError

        raise AccountError("the two passwords differ. Fix: type the same password twice")
    return first


def run(args) -> int:
    from sqlalchemy import select

    from commissioning.web import accounts
    from commissioning.web.db import User, connect

    sessions = connect(database_url(args))
    with sessions() as db:
        if args.users_command == "list":
            for user in db.scalars(select(User).order_by(User.name)):
                print(f"{user.name}\t{user.role}\t{user.provider_id or ''}")
        elif args.users_command == "add":
            accounts.add_user(db, args.name, args.role, _password(args), args.provider)
            print(f"added {args.name} ({args.role}{' ' + args.provider if args.provider else ''})")
        else:
            accounts.reset_password(db, args.name, _password(args))
            print(f"new password for {args.name}; their sessions are ended")
    return 0
