"""The knowledge graph over the official ``neo4j`` driver, one module per role.

:mod:`~kg.graph.connection` holds the driver and its bounded transactions,
:mod:`~kg.graph.queries` every Cypher text, :mod:`~kg.graph.catalogue_writes`
the ingest, :mod:`~kg.graph.recommendation_reads` candidates and paths, and
:mod:`~kg.graph.user_data` what the graph keeps about people (their edges to
items, their sessions).  :class:`kg.store.GraphStore` puts them together.

Catalogue shape::

    (:Item {id, title, year, k_genres, k_directors, ...})
    (:Person {name, name_key, degree})-[:DIRECTED]->(:Item)     value_is_subject
    (:Item)-[:HAS_GENRE]->(:Genre {name, name_key, degree})     otherwise
    (:User {id})-[:LIKED|DISLIKED|SEEN|RATED {at[, rating]}]->(:Item)

``name_key`` is the casefolded, stripped name (:func:`kg.schema.name_key`);
attribute nodes are merged on it.  ``degree`` counts the items an attribute
node links to; it skips over-common attributes and weighs paths.
``k_<field>`` repeats an item's name_keys of one field as a list property, so
constraint filters read a property instead of walking edges.  Attribute nodes
link to items only, through schema relations (the fan-out from an attribute
is untyped and relies on it).
"""
