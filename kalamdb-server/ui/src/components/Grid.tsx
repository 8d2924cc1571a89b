// The result grid: TanStack Table (headless) for sorting and paging, with
// cells typed by the column's wire type. Every value is rendered as text.
import {
  flexRender,
  getCoreRowModel,
  getPaginationRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from "@tanstack/react-table";
import type { ComponentChildren } from "preact";
import { useMemo, useState } from "preact/hooks";
import { MAX_ROWS, type Column } from "../api";
import { compare, formatValue, NUMERIC, prettyJSON } from "../format";

export interface GridProps {
  columns: Column[];
  rows: unknown[][];
  // How many rows the server sent, when the console kept fewer.
  total?: number;
  // A CSS class per row (live view highlights), by index in rows.
  rowClass?: (index: number) => string | undefined;
  pageSize?: number;
  testId?: string;
  // Buttons for a row, in a last column.
  actions?: (row: unknown[]) => ComponentChildren;
}

function Cell({ value, type }: { value: unknown; type: string }) {
  if (value === null || value === undefined) return <span class="null">NULL</span>;
  if (type === "Json" || (typeof value === "object" && typeof value !== "bigint")) {
    const compact = formatValue(value, "Json");
    if (compact.length <= 40) return <code class="json">{compact}</code>;
    return (
      <details class="json">
        <summary>{compact.slice(0, 40)}…</summary>
        <pre>{prettyJSON(value)}</pre>
      </details>
    );
  }
  const text = formatValue(value, type);
  const title = type === "Timestamp" || type === "DateTime" ? String(value) : undefined;
  return <span title={title}>{text}</span>;
}

export function Grid({ columns, rows, total, rowClass, pageSize = 100, testId = "grid", actions }: GridProps) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const [pagination, setPagination] = useState({ pageIndex: 0, pageSize });
  const defs = useMemo<ColumnDef<unknown[]>[]>(
    () =>
      columns.map((c, i) => ({
        id: String(i),
        header: c.name,
        accessorFn: (row: unknown[]) => row[i],
        sortingFn: (a, b, id) => compare(a.getValue(id), b.getValue(id)),
        sortUndefined: "last",
        sortDescFirst: false,
        cell: (info) => <Cell value={info.getValue()} type={c.data_type} />,
        meta: { type: c.data_type },
      })),
    [columns],
  );
  const table = useReactTable({
    data: rows,
    columns: defs,
    state: { sorting, pagination },
    onSortingChange: setSorting,
    onPaginationChange: setPagination,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getPaginationRowModel: getPaginationRowModel(),
    autoResetPageIndex: false,
  });
  const pageCount = table.getPageCount();
  const page = Math.min(pagination.pageIndex, Math.max(0, pageCount - 1));
  const capped = total !== undefined && total > rows.length;
  return (
    <div class="grid-wrap" data-testid={testId}>
      <div class="grid-scroll">
        <table class="rgrid striped">
          <thead>
            {table.getHeaderGroups().map((hg) => (
              <tr key={hg.id}>
                {hg.headers.map((h) => {
                  const type = columns[Number(h.column.id)]?.data_type ?? "";
                  const dir = h.column.getIsSorted();
                  return (
                    <th
                      key={h.id}
                      class={NUMERIC.has(type) ? "num" : undefined}
                      onClick={h.column.getToggleSortingHandler()}
                      title={`${type} — click to sort`}
                      aria-sort={dir === "asc" ? "ascending" : dir === "desc" ? "descending" : "none"}
                    >
                      {flexRender(h.column.columnDef.header, h.getContext())}
                      <small class="type">{type}</small>
                      {dir === "asc" ? " ▲" : dir === "desc" ? " ▼" : ""}
                    </th>
                  );
                })}
                {actions && <th />}
              </tr>
            ))}
          </thead>
          <tbody>
            {table.getRowModel().rows.map((r) => (
              <tr key={r.id} class={rowClass?.(r.index)}>
                {r.getVisibleCells().map((c) => {
                  const type = columns[Number(c.column.id)]?.data_type ?? "";
                  return (
                    <td key={c.id} class={NUMERIC.has(type) ? "num" : undefined}>
                      {flexRender(c.column.columnDef.cell, c.getContext())}
                    </td>
                  );
                })}
                {actions && <td class="actions">{actions(r.original)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="grid-footer">
        <span data-testid={testId + "-count"}>
          {capped
            ? `Showing the first ${rows.length.toLocaleString("en-US")} of ${total!.toLocaleString("en-US")} rows (the console keeps at most ${MAX_ROWS.toLocaleString("en-US")}).`
            : `${rows.length.toLocaleString("en-US")} ${rows.length === 1 ? "row" : "rows"}`}
        </span>
        {pageCount > 1 && (
          <span class="pager">
            <button class="outline secondary small" disabled={page === 0} onClick={() => table.setPageIndex(0)}>
              «
            </button>
            <button class="outline secondary small" disabled={!table.getCanPreviousPage()} onClick={() => table.previousPage()}>
              ‹
            </button>
            <span data-testid={testId + "-page"}>
              page {page + 1} of {pageCount}
            </span>
            <button class="outline secondary small" disabled={!table.getCanNextPage()} onClick={() => table.nextPage()}>
              ›
            </button>
            <button class="outline secondary small" disabled={page >= pageCount - 1} onClick={() => table.setPageIndex(pageCount - 1)}>
              »
            </button>
          </span>
        )}
      </div>
    </div>
  );
}
