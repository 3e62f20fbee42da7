-- ty's hover and go-to-definition and ruff's formatting through punie-lsp, as Neovim asks.
local H = dofile(arg[1] .. '/helpers.lua')
local buf = H.open(arg[2], { model = { enabled = false } })
H.wait(30000, function()
  return #H.diagnostics_from(buf, 'ty') > 0
end, 'ty diagnostics')
local function ask(method, params)
  local answers = vim.lsp.buf_request_sync(buf, method, params, 10000) or {}
  for _, answer in pairs(answers) do
    if answer.result then
      return answer.result
    end
  end
  H.fail(method .. ': no answer')
end
local uri = vim.uri_from_bufnr(buf)
-- `find` in `payer = find(accounts, source)` (line 6, 0-based 5)
local at = { textDocument = { uri = uri }, position = { line = 5, character = 12 } }
local hover = ask('textDocument/hover', at)
local definition = ask('textDocument/definition', at)
local target = definition[1] or definition
vim.api.nvim_buf_set_lines(buf, -1, -1, false, { 'total=fee(100)' }) -- typed, not saved
local edits = ask('textDocument/formatting', {
  textDocument = { uri = uri }, options = { tabSize = 4, insertSpaces = true },
})
print(vim.json.encode({
  hover = hover.contents.value or hover.contents,
  definition = target.targetUri or target.uri,
  formatting = table.concat(vim.tbl_map(function(e)
    return e.newText
  end, edits), '|'),
}))
os.exit(0)
