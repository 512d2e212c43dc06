// Randomized round trips on both backends: a random schema, then random changes to it, step
// by step: generate, apply, generate again (nothing); at the end, downgrade step by step and find
// each earlier schema back. Seeds are fixed, so a failure repeats; the seed is in the test name.
#include <gtest/gtest.h>

#include <random>

#include "migrate/autogenerate/autogenerate_support.hpp"

namespace retort::autogenerate::testing {
namespace {

// Random schema changes that keep the models valid on both dialects (types change only where
// PostgreSQL has a cast, constraints follow the columns they name).
class SchemaDice {
 public:
  explicit SchemaDice(unsigned seed) : rng_(seed) {}

  MetaData first() {
    MetaData m;
    for (int i = 0; i < 3; ++i) add_table(m);
    return m;
  }

  MetaData next(MetaData m) {
    const int changes = pick(1, 4);
    for (int i = 0; i < changes; ++i) change(m);
    return m;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool coin() { return pick(0, 1) == 1; }
  std::string name(const char* prefix) { return fmt::format("{}{}", prefix, ++counter_); }
  Table& any_table(MetaData& m) {
    return m.tables[static_cast<std::size_t>(pick(0, static_cast<int>(m.tables.size()) - 1))];
  }

  ColumnType scalar_type() {
    switch (pick(0, 7)) {
      case 0:
        return types::integer();
      case 1:
        return types::bigint();
      case 2:
        return types::smallint();
      case 3:
        return types::varchar(40);
      case 4:
        return types::boolean();
      case 5:
        return types::uuid();
      case 6:
        return types::jsonb();
      default:
        return types::text();
    }
  }
  static bool numeric(const ColumnType& t) {
    using K = ColumnType::Kind;
    return t.kind == K::integer || t.kind == K::bigint || t.kind == K::smallint;
  }
  static bool textual(const ColumnType& t) {
    return t.kind == ColumnType::Kind::text || t.kind == ColumnType::Kind::varchar;
  }

  Column new_column(const MetaData& m) {
    Column c = col(name("c"), scalar_type(), coin());
    if (!m.enums.empty() && pick(0, 4) == 0) c.type = types::enum_(m.enums.front().name);
    if (numeric(c.type) && coin())
      c.server_default = schema::DialectSql(std::to_string(pick(0, 9)));
    if (textual(c.type) && coin()) c.server_default = schema::DialectSql("'x'");
    return c;
  }

  void add_table(MetaData& m) {
    Table t = table(name("t"));
    for (int i = pick(1, 3); i > 0; --i) t.columns.push_back(new_column(m));
    m.tables.push_back(std::move(t));
  }

  // The non-key columns of t that the predicate accepts.
  template <class Pred>
  Column* any_column(Table& t, Pred pred) {
    std::vector<Column*> fits;
    for (std::size_t i = 1; i < t.columns.size(); ++i) {
      if (pred(t.columns[i])) fits.push_back(&t.columns[i]);
    }
    if (fits.empty()) return nullptr;
    return fits[static_cast<std::size_t>(pick(0, static_cast<int>(fits.size()) - 1))];
  }

  static bool in_foreign_key(const Table& t, const std::string& column) {
    return std::any_of(t.foreign_keys.begin(), t.foreign_keys.end(), [&](const auto& fk) {
      return std::find(fk.columns.begin(), fk.columns.end(), column) != fk.columns.end();
    });
  }

  static void forget_column(Table& t, const std::string& column) {
    auto names = [&](const std::vector<std::string>& v) {
      return std::find(v.begin(), v.end(), column) != v.end();
    };
    std::erase_if(t.indexes, [&](const schema::Index& i) {
      return std::any_of(i.elements.begin(), i.elements.end(),
                         [&](const auto& e) { return e.column == column; });
    });
    std::erase_if(t.unique_constraints, [&](const auto& u) { return names(u.columns); });
    std::erase_if(t.foreign_keys, [&](const auto& fk) { return names(fk.columns); });
    std::erase_if(t.check_constraints, [&](const auto& c) {
      return c.expression.postgresql.find(column) != std::string::npos;
    });
  }

  void drop_table(MetaData& m) {
    if (m.tables.size() < 2) return;
    const auto victim = static_cast<std::size_t>(pick(0, static_cast<int>(m.tables.size()) - 1));
    const std::string gone = m.tables[victim].name;
    m.tables.erase(m.tables.begin() + static_cast<std::ptrdiff_t>(victim));
    for (Table& t : m.tables) {
      std::erase_if(t.foreign_keys, [&](const auto& fk) { return fk.referred_table == gone; });
    }
  }

  void change_column(MetaData& m) {
    Table& t = any_table(m);
    Column* c = any_column(t, [&](const Column& x) {
      return x.type.kind != ColumnType::Kind::enum_ && !in_foreign_key(t, x.name);
    });
    if (c == nullptr) return;
    switch (pick(0, 3)) {
      case 0:  // a type PostgreSQL casts to and from
        if (numeric(c->type) || textual(c->type)) {
          const std::vector<ColumnType> castable{types::smallint(), types::integer(),
                                                 types::bigint(), types::text(),
                                                 types::varchar(60)};
          c->type = castable[static_cast<std::size_t>(pick(0, 4))];
          c->server_default.reset();
          forget_column(t, c->name);  // checks compare numbers
        }
        break;
      case 1:
        c->nullable = !c->nullable;
        break;
      case 2:
        if (numeric(c->type))
          c->server_default = schema::DialectSql(std::to_string(pick(10, 99)));
        else
          c->server_default.reset();
        break;
      default:
        c->comment = coin() ? name("comment ") : "";
        break;
    }
  }

  void add_constraint(MetaData& m) {
    Table& t = any_table(m);
    switch (pick(0, 3)) {
      case 0:
        if (Column* c = any_column(
                t, [](const Column& x) { return x.type.kind != ColumnType::Kind::jsonb; })) {
          t.indexes.push_back(index(name("ix"), {c->name}, coin()));
        }
        break;
      case 1:
        if (Column* c = any_column(
                t, [](const Column& x) { return x.type.kind != ColumnType::Kind::jsonb; })) {
          t.unique_constraints.push_back({name("uq"), {c->name}});
        }
        break;
      case 2:
        if (Column* c = any_column(t, [](const Column& x) { return numeric(x.type); })) {
          t.check_constraints.push_back({name("ck"), {c->name + " >= 0"}});
        }
        break;
      default: {
        const Table& target = any_table(m);
        Column* c =
            any_column(t, [](const Column& x) { return x.type.kind == ColumnType::Kind::bigint; });
        if (c != nullptr)
          t.foreign_keys.push_back(foreign_key(name("fk"), {c->name}, target.name, {"id"}));
        break;
      }
    }
  }

  void drop_constraint(Table& t) {
    if (!t.indexes.empty() && coin())
      t.indexes.pop_back();
    else if (!t.unique_constraints.empty() && coin())
      t.unique_constraints.pop_back();
    else if (!t.foreign_keys.empty() && coin())
      t.foreign_keys.pop_back();
    else if (!t.check_constraints.empty())
      t.check_constraints.pop_back();
  }

  void change_enum(MetaData& m) {
    if (m.enums.empty() || pick(0, 3) == 0) {
      m.enums.push_back({name("mood"), {"a", "b"}});
      return;
    }
    schema::EnumType& e = m.enums.front();
    if (coin() || e.values.size() < 2) {
      const auto at = static_cast<std::ptrdiff_t>(pick(0, static_cast<int>(e.values.size())));
      e.values.insert(e.values.begin() + at, name("v"));
    } else {
      e.values.erase(e.values.begin() + pick(0, static_cast<int>(e.values.size()) - 1));
    }
  }

  void change(MetaData& m) {
    switch (pick(0, 8)) {
      case 0:
        add_table(m);
        break;
      case 1:
        drop_table(m);
        break;
      case 2:
        any_table(m).columns.push_back(new_column(m));
        break;
      case 3: {
        Table& t = any_table(m);
        if (Column* c = any_column(t, [](const Column&) { return true; })) {
          const std::string gone = c->name;
          forget_column(t, gone);
          std::erase_if(t.columns, [&](const Column& x) { return x.name == gone; });
        }
        break;
      }
      case 4:
        change_column(m);
        break;
      case 5:
        add_constraint(m);
        break;
      case 6:
        drop_constraint(any_table(m));
        break;
      case 7:
        change_enum(m);
        break;
      default:
        any_table(m).comment = coin() ? name("about ") : "";
        break;
    }
  }

  std::mt19937 rng_;
  int counter_ = 0;
};

struct Case {
  Dialect dialect;
  unsigned seed;
};

class AutogenerateRandom : public ::testing::TestWithParam<Case> {};

TEST_P(AutogenerateRandom, GenerateApplyGenerateAgainThenDowngrade) {
  Workspace ws(GetParam().dialect);
  SchemaDice dice(GetParam().seed);
  std::vector<MetaData> steps{dice.first()};
  for (int i = 0; i < 8; ++i) steps.push_back(dice.next(steps.back()));
  std::vector<std::string> heads;
  std::size_t operations = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    RevisionOptions options;
    options.database.compare.apply_renames = i % 2 == 1;
    operations += ws.migrate_to(steps[i], options).diff.operations.size();
    const Diff left = ws.pending(steps[i]);
    ASSERT_TRUE(left.empty()) << "step " << i << " left:" << listed(left);
    const std::vector<std::string> current = ws.current();
    heads.push_back(current.empty() ? "base" : current.front());
  }
  EXPECT_GT(operations, steps.size()) << "the dice changed too little to test anything";
  for (std::size_t i = steps.size() - 1; i-- > 0;) {
    ws.downgrade(heads[i]);
    const Diff left = ws.pending(steps[i]);
    ASSERT_TRUE(left.empty()) << "downgrade to step " << i << " left:" << listed(left);
  }
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (Dialect d : {Dialect::sqlite, Dialect::postgresql}) {
    for (unsigned seed : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u}) out.push_back({d, seed});
  }
  return out;
}

struct CaseName {
  std::string operator()(const ::testing::TestParamInfo<Case>& p) const {
    return fmt::format("{}_seed{}", dialect_name(p.param.dialect), p.param.seed);
  }
};

INSTANTIATE_TEST_SUITE_P(Seeds, AutogenerateRandom, ::testing::ValuesIn(cases()), CaseName());

}  // namespace
}  // namespace retort::autogenerate::testing
