"""Reading the user's dataset folder: the columns (``schema``), the raw files (``tables``), each cell
(``cells``), whole tables and references (``records``), zone polygons (``zones``), where points lie
(``geography``), ``dataset.json`` (``dataset``), and the checked domain objects (``domain``) that
``folder.load_dataset`` returns."""
