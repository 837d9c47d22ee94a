"""Running a scenario file's variants: orchestration (``run``), travel figures (``travel``), the solver's
arrays (``problem``), one variant (``variant``), today's allocation (``current``), routed travel (``routing``,
``router``), progress lines (``progress``) and Ctrl-C / SIGTERM (``interrupt``)."""
