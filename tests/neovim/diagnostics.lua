-- ruff and ty diagnostics arrive in vim.diagnostic for a file of the sample project.
local H = dofile(arg[1] .. '/helpers.lua')
local buf = H.open(arg[2], { model = { enabled = false } })
H.wait(30000, function()
  return #H.diagnostics_from(buf, 'ruff') > 0 and #H.diagnostics_from(buf, 'ty') > 0
end, 'ruff and ty diagnostics')
local codes = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  codes[#codes + 1] = d.source .. ':' .. tostring(d.code) .. '@' .. d.lnum
end
table.sort(codes)
print(table.concat(codes, ' '))
os.exit(0)
